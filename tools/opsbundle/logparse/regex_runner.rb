# Fold log lines into records and match them, in the Regexp of the Ruby running
# this script: Onigmo under Debian's `ruby` (fluentd's engine), Joni under
# `jruby` (logstash's). Reads one JSON request on stdin, writes one JSON answer:
#   {"groups": [{"starts": [re...], "patterns": [{"source": re, "multiline": bool}...],
#                "path_patterns": [re...], "inputs": [{"path": p, "lines": [line...]}...]}...]}
#   -> {"results": [[[{name: value from the path}, [[pattern index or -1, {name: value},
#                                                    record]...]]...]...]}
#   -> {"error": message, "group": g, "which": "starts"|"patterns"|"path_patterns", "index": i}
# A line starts a new record when it matches any of `starts` (none: every line
# does); the first pattern that matches a record gives its captures. Every
# path pattern that matches the file's path adds the captures it has not yet.
require 'json'

def compile_all(group, g)
  %w[starts patterns path_patterns].to_h do |which|
    compiled = group[which].each_with_index.map do |item, i|
      source, multiline = item.is_a?(Hash) ? [item['source'], item['multiline']] : [item, false]
      begin
        Regexp.new(source, multiline ? Regexp::MULTILINE : 0)
      rescue RegexpError, ArgumentError => e
        $stdout.write(JSON.generate({ 'error' => e.message, 'group' => g, 'which' => which, 'index' => i }))
        exit 0
      end
    end
    [which, compiled]
  end
end

def fold(lines, starts)
  records = []
  lines.each do |line|
    if records.empty? || starts.empty? || starts.any? { |re| re.match?(line) }
      records << line.dup
    else
      records[-1] << "\n" << line
    end
  end
  records
end

def match(record, patterns)
  patterns.each_with_index do |re, i|
    m = re.match(record)
    return [i, m.names.to_h { |n| [n, m[n]] }, record] if m
  end
  [-1, nil, record]
end

request = JSON.parse($stdin.read)
compiled = request['groups'].each_with_index.map { |group, g| compile_all(group, g) }
def from_path(path, patterns)
  found = {}
  patterns.each do |re|
    m = re.match(path)
    m&.names&.each { |n| found[n] = m[n] if m[n] && !found.key?(n) }
  end
  found
end

# logstash: the shipped filters after grok make the event (logstash_filters.rb);
# fluentd: in_tail's parse and the filters do (fluentd_pipeline.rb)
require_relative 'logstash_filters' if request['groups'].any? { |g| g['logstash'] }
if request['groups'].any? { |g| g['fluentd'] }
  require_relative 'fluentd_pipeline'
  begin
    request['groups'].each { |g| FluentdPipeline.compile(g['fluentd']) if g['fluentd'] }
  rescue FluentdPipeline::Refused => e
    $stdout.write(JSON.generate({ 'error' => e.message, 'where' => true }))
    exit 0
  end
end
results = request['groups'].zip(compiled).map do |group, c|
  group['inputs'].map do |input|
    base = from_path(input['path'], c['path_patterns'])
    records = fold(input['lines'], c['starts']).map { |r| match(r, c['patterns']) }
    if group['fluentd']
      begin
        records = records.flat_map do |_, _, record|
          FluentdPipeline.run(record, input['path'], group['fluentd']).map { |event| [0, event, record] }
        end
      rescue FluentdPipeline::Refused, StandardError => e
        $stdout.write(JSON.generate({ 'error' => "#{group['fluentd']['where']}: #{e.message}", 'where' => true }))
        exit 0
      end
    end
    if group['logstash']
      records = records.map do |i, caps, record|
        [i, LogstashFilters.event(record, input['path'], base, caps, group['logstash']), record]
      end
    end
    [base, records]
  end
end
$stdout.write(JSON.generate({ 'results' => results }))

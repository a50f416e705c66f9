# Fold log lines into records and make them events, in the Ruby running this
# script: Onigmo under Debian's `ruby` (fluentd's engine), Joni under `jruby`
# (logstash's). Reads one JSON request on stdin, reads the log files itself,
# line by line, and writes one JSON line per event as soon as it has it:
#   {"groups": [{"starts": [re...], "patterns": [{"source": re, "multiline": bool}...],
#                "path_patterns": [re...], "inputs": [{"path": host path, "file": local}...],
#                "logstash": {...} | "fluentd": {...}}...]}
#   -> {"g": group, "f": input, "e": event} per event, then {"done": true}
#   with "events_fd": n in the request, each event is written to that file
#   descriptor as its own JSON line instead (`opsbundle parse`: the events go
#   straight to its output), and only {"done": true} or an error to stdout
#   -> {"error": message, "group": g, "which": "starts"|"patterns"|"path_patterns", "index": i}
#   -> {"error": message, "where": true}   (the message names the file and line)
# A line starts a new record when it matches any of `starts` (none: every line
# does). logstash: grok (the first pattern that matches, the path patterns'
# captures first) then logstash_filters.rb; fluentd: fluentd_pipeline.rb.
require 'json'

def fail_with(answer)
  $stdout.write(JSON.generate(answer), "\n")
  $stdout.flush
  exit 0
end

def compile_all(group, g)
  %w[starts patterns path_patterns].to_h do |which|
    compiled = group[which].each_with_index.map do |item, i|
      source, multiline = item.is_a?(Hash) ? [item['source'], item['multiline']] : [item, false]
      begin
        Regexp.new(source, multiline ? Regexp::MULTILINE : 0)
      rescue RegexpError, ArgumentError => e
        fail_with({ 'error' => e.message, 'group' => g, 'which' => which, 'index' => i })
      end
    end
    [which, compiled]
  end
end

# each record of `file`, folded as it is read: memory is one record
def each_record(file, starts)
  record = nil
  File.foreach(file, chomp: true, encoding: 'UTF-8').with_index(1) do |line, number|
    fail_with({ 'error' => "#{file}: not UTF-8 (line #{number})", 'where' => true }) unless line.valid_encoding?
    if record.nil? || starts.empty? || starts.any? { |re| re.match?(line) }
      yield record unless record.nil?
      record = line.dup
    else
      record << "\n" << line
    end
  end
  yield record unless record.nil?
end

# each entry of the journal in `folder`, as libsystemd reads it (journalctl
# is its reader; --all: no field shortened), from the first on
def each_entry(folder)
  IO.popen(['journalctl', '-D', folder, '-o', 'json', '--all', '--no-pager'], 'r', encoding: 'UTF-8') do |io|
    io.each_line { |line| yield JSON.parse(line) }
  end
  fail_with({ 'error' => "journalctl -D #{folder}: exit #{$?.exitstatus}", 'where' => true }) unless $?.success?
end

def grok(record, patterns, names)
  patterns.each_with_index do |re, i|
    m = re.match(record)
    return names[i].to_h { |n| [n, m[n]] } if m
  end
  nil
end

def from_path(path, patterns)
  found = {}
  patterns.each do |re|
    m = re.match(path)
    m&.names&.each { |n| found[n] = m[n] if m[n] && !found.key?(n) }
  end
  found
end

request = JSON.parse($stdin.read)
compiled = request['groups'].each_with_index.map { |group, g| compile_all(group, g) }
if request['groups'].any? { |g| g['logstash'] }
  require_relative 'logstash_filters'
  begin
    request['groups'].each { |g| LogstashFilters.compile(g['logstash']) if g['logstash'] }
  rescue RegexpError => e
    fail_with({ 'error' => "mutate gsub: ruby rejects the pattern: #{e.message}", 'where' => true })
  end
end
if request['groups'].any? { |g| g['fluentd'] }
  require_relative 'fluentd_pipeline'
  begin
    request['groups'].each { |g| FluentdPipeline.compile(g['fluentd']) if g['fluentd'] }
  rescue FluentdPipeline::Refused => e
    fail_with({ 'error' => e.message, 'where' => true })
  end
end

$stdout.sync = false
direct = request['events_fd'] && IO.new(request['events_fd'], 'w')
direct&.sync = false
request['groups'].zip(compiled).each_with_index do |(group, c), g|
  group['inputs'].each_with_index do |input, f|
    base = from_path(input['path'], c['path_patterns'])
    names = c['patterns'].map(&:names) # each pattern's capture names, as MatchData#names gives them
    journal = group['fluentd'] && group['fluentd']['journal']
    (journal ? to_enum(:each_entry, input['file']) : to_enum(:each_record, input['file'], c['starts'])).each do |record|
      events =
        if journal
          begin
            FluentdPipeline.run_entry(record, group['fluentd'])
          rescue FluentdPipeline::Refused, StandardError => e
            fail_with({ 'error' => "#{group['fluentd']['where']}: #{e.message}", 'where' => true })
          end
        elsif group['fluentd']
          begin
            FluentdPipeline.run(record, input['path'], group['fluentd'])
          rescue FluentdPipeline::Refused, StandardError => e
            fail_with({ 'error' => "#{group['fluentd']['where']}: #{e.message}", 'where' => true })
          end
        else
          [LogstashFilters.event(record, input['path'], base, grok(record, c['patterns'], names),
                                 group['logstash'])]
        end
      if direct
        events.each { |event| direct.write(JSON.generate(event), "\n") }
      else
        events.each { |event| $stdout.write(JSON.generate({ 'g' => g, 'f' => f, 'e' => event }), "\n") }
      end
    end
  end
end
direct&.flush
$stdout.write(JSON.generate({ 'done' => true }), "\n")

# The engine alone, for tools/bench/parse_bench.py: fold each file's lines
# into records with the start patterns and match the first parse pattern that
# fits, writing the captures as JSON lines: the parsing work of a tool on its
# regex engine (Onigmo under ruby, Joni under jruby), nothing else.
require 'json'

groups = JSON.parse(File.read(ARGV[0]))
out = $stdout
groups.each do |group|
  starts = group['starts'].map { |s| Regexp.new(s) }
  patterns = group['patterns'].map { |p| Regexp.new(p['source'], p['multiline'] ? Regexp::MULTILINE : 0) }
  emit = lambda do |record|
    m = nil
    patterns.each { |re| break if (m = re.match(record)) }
    out.write(JSON.generate(m ? m.names.to_h { |n| [n, m[n]] } : { 'message' => record }), "\n")
  end
  group['inputs'].each do |path|
    record = nil
    File.foreach(path, chomp: true, encoding: 'UTF-8') do |line|
      if record.nil? || starts.empty? || starts.any? { |re| re.match?(line) }
        emit.call(record) unless record.nil?
        record = line.dup
      else
        record << "\n" << line
      end
    end
    emit.call(record) unless record.nil?
  end
end

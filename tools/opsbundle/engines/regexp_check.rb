# Compile regular expressions in the Regexp of the Ruby running this script
# (Onigmo under Debian's `ruby`, fluentd's engine), exactly as
# logparse/regex_runner.rb compiles them, without input: one process for every
# pattern of a validate run. The same protocol as engines/joni/JoniCheck.java:
# stdin, per pattern: a header line "<m|-> <length in bytes>\n", then the
# pattern's UTF-8 bytes; stdout, per pattern and in order: "ok" or
# "error <message>" on one line.
$stdin.binmode
out = []
while (header = $stdin.gets)
  flag, size = header.split(' ')
  source = $stdin.read(Integer(size)).force_encoding(Encoding::UTF_8)
  begin
    Regexp.new(source, flag == 'm' ? Regexp::MULTILINE : 0)
    out << 'ok'
  rescue RegexpError, ArgumentError => e
    out << "error #{e.message.gsub(/\s+/, ' ')}"
  end
end
$stdout.write(out.map { |line| "#{line}\n" }.join)

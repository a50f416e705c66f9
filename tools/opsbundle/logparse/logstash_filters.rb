# The steps of logstash_filters.py, run on one event the way logstash's
# filters do, in JRuby (logstash's runtime): mutate, date (Joda-Time, as
# logstash's date filter), `if "value" in [field]`. An event is a Hash; a
# field reference "[a][b]" reaches into nested hashes.
require 'json'

module LogstashFilters
  JODA = '/usr/share/java/joda-time.jar'

  # compiled once per run, as logstash compiles its pipeline at start
  PATHS = {}
  REGEXPS = {}
  DATE_PARSERS = {}

  def self.path(ref)
    (PATHS[ref] ||= (ref.start_with?('[') ? ref.scan(/\[([^\]]+)\]/).flatten : [ref]).freeze).dup
  end

  def self.get(event, ref)
    path(ref).reduce(event) { |h, k| h.is_a?(Hash) ? h[k] : nil }
  end

  def self.set(event, ref, value)
    keys = path(ref)
    last = keys.pop
    keys.reduce(event) { |h, k| h[k] = {} unless h[k].is_a?(Hash); h[k] }[last] = value
  end

  def self.remove(event, ref)
    keys = path(ref)
    last = keys.pop
    holder = keys.reduce(event) { |h, k| h.is_a?(Hash) ? h[k] : nil }
    holder.delete(last) if holder.is_a?(Hash)
  end

  # %{field} references in add_field values, as logstash's sprintf
  def self.sprintf(event, text)
    text.gsub(/%\{([^}]+)\}/) { (v = get(event, $1)).nil? ? $& : v.to_s }
  end

  def self.convert(value, kind)
    case kind
    when 'integer' then value.is_a?(String) ? (Integer(value, 10) rescue value.to_f.to_i) : value.to_i
    when 'float' then value.to_f
    when 'boolean' then { 'true' => true, 'false' => false }.fetch(value.to_s.downcase, value)
    else value.to_s
    end
  end

  def self.mutate(event, step)
    (step['rename'] || {}).each do |from, to|
      next if (value = get(event, from)).nil?
      remove(event, from)
      set(event, to, value)
    end
    (step['convert'] || {}).each do |field, kind|
      value = get(event, field)
      set(event, field, convert(value, kind)) unless value.nil?
    end
    (step['gsub'] || []).each do |field, pattern, replacement|
      value = get(event, field)
      set(event, field, value.gsub(REGEXPS[pattern] ||= Regexp.new(pattern), replacement)) if value.is_a?(String)
    end
    (step['uppercase'] || []).each do |field|
      value = get(event, field)
      set(event, field, value.upcase) if value.is_a?(String)
    end
    (step['copy'] || {}).each do |from, to|
      value = get(event, from)
      set(event, to, value) unless value.nil?
    end
    (step['add_field'] || {}).each { |k, v| set(event, sprintf(event, k), sprintf(event, v)) }
    (step['remove_field'] || []).each { |ref| remove(event, sprintf(event, ref)) }
  end

  # logstash's Timestamp as JSON: UTC, milliseconds (the date filter's precision)
  def self.timestamp(millis)
    Time.at(millis / 1000, (millis % 1000) * 1000, :usec).utc.strftime('%Y-%m-%dT%H:%M:%S.%LZ')
  end

  def self.date_parser(format)
    require JODA
    parser = if format == 'ISO8601'
               org.joda.time.format.ISODateTimeFormat.dateTimeParser
             else
               org.joda.time.format.DateTimeFormat.forPattern(format).withLocale(java.util.Locale::ENGLISH)
             end
    parser.withOffsetParsed
  end

  def self.date(event, step)
    value = get(event, step['field'])
    return if value.nil?
    step['formats'].each do |format|
      parser = DATE_PARSERS[format] ||= date_parser(format)
      begin
        millis = parser.parseMillis(value.to_s)
      rescue Java::JavaLang::IllegalArgumentException
        next
      end
      set(event, step['target'], timestamp(millis))
      return
    end
    (event['tags'] ||= []) << '_dateparsefailure'
  end

  def self.run(event, steps)
    steps.each do |step|
      case step['op']
      when 'mutate' then mutate(event, step)
      when 'date' then date(event, step)
      when 'if'
        value = get(event, step['field'])
        hit = value.is_a?(Array) ? value.include?(step['value']) : value.to_s.include?(step['value'])
        run(event, hit ? step['then'] : step['else'])
      end
    end
    event
  end

  # The event logstash's file input makes of a record, then grok's fields:
  # the path grok's, then the message grok's (those in `overwrite` replace).
  def self.event(record, path, from_path, captures, settings)
    event = { 'message' => record, '@version' => '1', 'host' => { 'name' => 'localhost' },
              'log' => { 'file' => { 'path' => path } }, 'event' => { 'original' => record } }
    from_path.each { |k, v| event[k] = v }
    if captures.nil?
      event['tags'] = ['_grokparsefailure']
    else
      captures.each do |k, v|
        next if v.nil? || v.empty? # grok's keep_empty_captures is false by default
        event[k] = event.key?(k) && !settings['overwrite'].include?(k) ? [event[k], v].flatten : v
      end
    end
    run(event, settings['post'])
  end
end

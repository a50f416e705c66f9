# The steps of logstash_filters.py, run on one event the way logstash's
# filters do, in JRuby (logstash's runtime): mutate, date (Joda-Time, as
# logstash's date filter), `if "value" in [field]`. An event is a Hash; a
# field reference "[a][b]" reaches into nested hashes.
require 'json'

module LogstashFilters
  JODA = '/usr/share/java/joda-time.jar'

  # Every step is compiled once, before the first event, as logstash compiles
  # its pipeline at start: each field reference split into its keys, each
  # option a closure over what it needs (its regexp, its Joda parser, the
  # text of a value without %{...}), only the options a step has; then an
  # event runs through the closures alone.
  DATE_PARSERS = {}
  SPRINTF = /%\{([^}]+)\}/

  def self.keys(ref)
    (ref.start_with?('[') ? ref.scan(/\[([^\]]+)\]/).flatten : [ref]).freeze
  end

  def self.getter(ref)
    path = keys(ref)
    return (key = path[0]; ->(event) { event[key] }) if path.size == 1
    ->(event) { path.reduce(event) { |h, k| h.is_a?(Hash) ? h[k] : nil } }
  end

  def self.setter(ref)
    *inner, last = keys(ref)
    return ->(event, value) { event[last] = value } if inner.empty?
    lambda do |event, value|
      inner.reduce(event) { |h, k| h[k] = {} unless h[k].is_a?(Hash); h[k] }[last] = value
    end
  end

  def self.remover(ref)
    *inner, last = keys(ref)
    return ->(event) { event.delete(last) } if inner.empty?
    lambda do |event|
      holder = inner.reduce(event) { |h, k| h.is_a?(Hash) ? h[k] : nil }
      holder.delete(last) if holder.is_a?(Hash)
    end
  end

  def self.get(event, ref)
    keys(ref).reduce(event) { |h, k| h.is_a?(Hash) ? h[k] : nil }
  end

  # %{field} references in add_field values, as logstash's sprintf; a text
  # without one is itself
  def self.sprintf(text)
    return ->(_) { text } unless text.include?('%{')
    ->(event) { text.gsub(SPRINTF) { (v = get(event, $1)).nil? ? $& : v.to_s } }
  end

  def self.convert(value, kind)
    case kind
    when 'integer' then value.is_a?(String) ? (Integer(value, 10) rescue value.to_f.to_i) : value.to_i
    when 'float' then value.to_f
    when 'boolean' then { 'true' => true, 'false' => false }.fetch(value.to_s.downcase, value)
    else value.to_s
    end
  end

  UNCHANGED = Object.new.freeze

  # an option that changes a field's value in place: `change` gets the value
  # when the field is set and answers the new one, or UNCHANGED
  def self.changes(ref, &change)
    get, set = getter(ref), setter(ref)
    lambda do |event|
      value = get.call(event)
      return if value.nil?
      changed = change.call(value)
      set.call(event, changed) unless changed.equal?(UNCHANGED)
    end
  end

  # mutate's options in logstash's order: rename, convert, gsub, uppercase,
  # copy, then the common add_field and remove_field
  def self.compile_mutate(step)
    ops = []
    (step['rename'] || {}).each do |from, to|
      get, remove, set = getter(from), remover(from), setter(to)
      ops << lambda do |event|
        value = get.call(event)
        return if value.nil?
        remove.call(event)
        set.call(event, value)
      end
    end
    (step['convert'] || {}).each do |field, kind|
      ops << changes(field) { |value| convert(value, kind) }
    end
    (step['gsub'] || []).each do |field, pattern, replacement|
      re = Regexp.new(pattern)
      ops << changes(field) { |value| value.is_a?(String) ? value.gsub(re, replacement) : UNCHANGED }
    end
    (step['uppercase'] || []).each do |field|
      ops << changes(field) { |value| value.is_a?(String) ? value.upcase : UNCHANGED }
    end
    (step['copy'] || {}).each do |from, to|
      get, set = getter(from), setter(to)
      ops << ->(event) { (value = get.call(event)).nil? || set.call(event, value) }
    end
    (step['add_field'] || {}).each do |k, v|
      value = sprintf(v)
      if k.include?('%{')
        key = sprintf(k)
        ops << ->(event) { setter(key.call(event)).call(event, value.call(event)) }
      else
        set = setter(k)
        ops << ->(event) { set.call(event, value.call(event)) }
      end
    end
    (step['remove_field'] || []).each do |ref|
      if ref.include?('%{')
        name = sprintf(ref)
        ops << ->(event) { remover(name.call(event)).call(event) }
      else
        ops << remover(ref)
      end
    end
    ->(event) { ops.each { |op| op.call(event) } }
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

  # Whether Joda's parseMillis would reach the end of `text` with this
  # formatter (the parse alone: the bucket it makes, with the formatter's
  # chronology, zone, locale, pivot and default year). Where it would not,
  # parseMillis throws IllegalArgumentException, which in JRuby costs a Java
  # stack trace and its Ruby wrapper per format a value does not have (most
  # values fail the first formats of a date filter). Where it would,
  # parseMillis runs as ever, and may still refuse a value (a day 31 in
  # April): that is rescued as before.
  def self.parses?(formatter, text)
    chrono = org.joda.time.DateTimeUtils.getChronology(formatter.getChronology)
    chrono = chrono.withZone(formatter.getZone) if formatter.getZone
    bucket = org.joda.time.format.DateTimeParserBucket.new(
      0, chrono, formatter.getLocale, formatter.getPivotYear, formatter.getDefaultYear
    )
    formatter.getParser.parseInto(bucket, text, 0) >= text.length
  end

  # the date filter: the first of its formats that parses the field sets the
  # target; none: the _dateparsefailure tag. A format's Joda parser is made
  # when a value first reaches it, as before (a bad pattern fails there).
  def self.compile_date(step)
    get, set, formats = getter(step['field']), setter(step['target']), step['formats']
    parsers = []
    lambda do |event|
      value = get.call(event)
      return if value.nil?
      text = value.to_s
      formats.each_with_index do |format, i|
        parser = (parsers[i] ||= (DATE_PARSERS[format] ||= date_parser(format)))
        next unless parses?(parser, text)
        begin
          millis = parser.parseMillis(text)
        rescue Java::JavaLang::IllegalArgumentException
          next
        end
        set.call(event, timestamp(millis))
        return
      end
      (event['tags'] ||= []) << '_dateparsefailure'
    end
  end

  def self.compile_if(step)
    get, wanted = getter(step['field']), step['value']
    yes, no = compile_steps(step['then']), compile_steps(step['else'])
    lambda do |event|
      value = get.call(event)
      hit = value.is_a?(Array) ? value.include?(wanted) : value.to_s.include?(wanted)
      (hit ? yes : no).call(event)
    end
  end

  def self.compile_steps(steps)
    compiled = steps.map do |step|
      case step['op']
      when 'mutate' then compile_mutate(step)
      when 'date' then compile_date(step)
      when 'if' then compile_if(step)
      else raise ArgumentError, "unknown step #{step['op']}"
      end
    end
    ->(event) { compiled.each { |run| run.call(event) } }
  end

  # a group's settings, compiled once (regex_runner.rb does it before the first record)
  def self.compile(settings)
    settings['_run'] = compile_steps(settings['post'])
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
    settings['_run'].call(event)
    event
  end
end

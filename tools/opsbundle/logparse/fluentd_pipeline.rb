# The steps of fluentd_pipeline.py, run on one record the way fluentd does, in
# Ruby (fluentd's runtime): in_tail's <parse>, then every <filter> whose tag
# pattern matches, in order (parser and record_transformer), and the
# <label @ERROR> filters for a record filter_parser could not parse.
#
# Everything a bundle ships is compiled once, before the first record, as
# fluentd compiles its configuration at start: regexps, time parsers (the
# strptime gem, as Fluent::TimeParser uses it), the record_transformer
# placeholders as closures over the tree fluentd_ruby.py read (never `eval`),
# and, per tag, the filters whose pattern matches it.
require 'json'
require 'time'
require 'socket'
begin
  require 'strptime'
rescue LoadError
  nil # Time.strptime, as fluentd does without the gem
end

module FluentdPipeline
  class Refused < StandardError; end

  HOSTNAME = Socket.gethostname

  def self.regexp(spec)
    flags = 0
    flags |= Regexp::MULTILINE if spec['flags'].include?('m')
    flags |= Regexp::IGNORECASE if spec['flags'].include?('i')
    flags |= Regexp::EXTENDED if spec['flags'].include?('x')
    @regexps ||= {}
    @regexps[[spec['source'], flags]] ||= begin
      Regexp.new(spec['source'], flags)
    rescue RegexpError => e
      raise Refused, "#{spec['where']}: ruby rejects the pattern: #{e.message}"
    end
  end

  TYPES = {
    'integer' => ->(v) { v.to_i }, 'float' => ->(v) { v.to_f },
    'bool' => ->(v) { v == 'true' }, 'string' => ->(v) { v.to_s }
  }.freeze

  # fluentd's TimeParser: the strptime gem when it takes the format, else Time.strptime
  def self.time_parser(format)
    return ->(v) { Time.parse(v) } if format.nil?
    fast = defined?(Strptime) ? (Strptime.new(format) rescue nil) : nil
    fast ? ->(v) { fast.exec(v) } : ->(v) { Time.strptime(v, format) }
  end

  # a <parse> section as a closure: text -> [record, time] or nil (no match)
  def self.compile_parse(step)
    re = step['type'] == 'none' ? nil : regexp(step['expression'])
    names = re ? re.names : []
    null = step['null_value_pattern'] && Regexp.new(step['null_value_pattern'])
    types = step['types'].map { |k, kind| [k, TYPES[kind]] }
    key, keep = step['time_key'], step['keep_time_key']
    parse_time = key ? time_parser(step['time_format']) : nil
    lambda do |text|
      if re.nil?
        record = { 'message' => text }
      else
        m = re.match(text)
        return nil unless m
        record = {}
        names.each { |n| (v = m[n]).nil? || record[n] = v }
      end
      record.each_key { |k| record[k] = nil if record[k].is_a?(String) && null.match?(record[k]) } if null
      types.each { |k, convert| record[k] = convert.call(record[k]) unless record[k].nil? }
      time = nil
      if key && (value = record[key])
        time = parse_time.call(value)
        record.delete(key) unless keep
      end
      [record, time]
    end
  end

  # a literal, or a hash of literals: its value, known before the first record
  def self.constant(node)
    case node[0]
    when 'lit' then [node[1]]
    when 'hash'
      pairs = node[1].map { |k, v| [constant(k), constant(v)] }
      pairs.all? { |k, v| k && v } ? [pairs.to_h { |k, v| [k[0], v[0]] }.freeze] : nil
    end
  end

  # the narrow Ruby of fluentd_ruby.py, each node a closure over its children;
  # a hash of literals is built once (none of the methods it allows changes
  # its receiver, so every record may share it)
  def self.compile_node(node)
    if (known = constant(node))
      value = known[0]
      return ->(_) { value }
    end
    case node[0]
    when 'var' then name = node[1]; ->(vars) { vars.fetch(name) }
    when 'regexp'
      re = regexp({ 'source' => node[1], 'flags' => node[2], 'where' => 'record_transformer' })
      ->(_) { re }
    when 'hash'
      pairs = node[1].map { |k, v| [compile_node(k), compile_node(v)] }
      ->(vars) { pairs.to_h { |k, v| [k.call(vars), v.call(vars)] } }
    when 'index'
      target, index = compile_node(node[1]), compile_node(node[2])
      ->(vars) { target.call(vars)[index.call(vars)] }
    when 'logic'
      left, right = compile_node(node[2]), compile_node(node[3])
      node[1] == '&&' ? ->(vars) { left.call(vars) && right.call(vars) } : ->(vars) { left.call(vars) || right.call(vars) }
    when 'binop'
      op, left, right = node[1].to_sym, compile_node(node[2]), compile_node(node[3])
      ->(vars) { left.call(vars).public_send(op, right.call(vars)) }
    when 'call'
      receiver, name = compile_node(node[1]), node[2].to_sym
      args = node[3].map { |a| compile_node(a) }
      case args.size
      when 0 then ->(vars) { receiver.call(vars).public_send(name) }
      when 1 then arg = args[0]; ->(vars) { receiver.call(vars).public_send(name, arg.call(vars)) }
      else ->(vars) { receiver.call(vars).public_send(name, *args.map { |a| a.call(vars) }) }
      end
    else raise Refused, "unknown node #{node[0]}"
    end
  end

  # a value's text and placeholders joined as strings; one placeholder alone
  # (the usual `${tag_parts[-3]}`) is its result as a string, no join
  def self.compile_template(template)
    return compile_node(template['typed']) if template.key?('typed')
    texts = template['parts'].each_slice(2).map { |text, _| text }
    codes = template['parts'].each_slice(2).filter_map { |_, code| code && compile_node(code) }
    if codes.size == 1 && texts.all?(&:empty?)
      code = codes[0]
      return ->(vars) { code.call(vars).to_s }
    end
    lambda do |vars|
      out = +''
      texts.each_with_index do |text, i|
        out << text
        out << codes[i].call(vars).to_s if i < codes.size
      end
      out
    end
  end

  # fluentd's record_transformer makes a new record (a copy, or an empty one
  # with renew_record) and fills it with values computed from the old one. The
  # old record is not seen again once a filter has run (filter_parser copies
  # one it keeps for an error event), so without renew_record the values are
  # computed first, from the old record as it was, and then set on it: what
  # fluentd emits, without a copy per filter and record.
  def self.compile_transformer(step)
    record = step['record'].map { |key, template| [key, compile_template(template)] }
    remove, renew = step['remove_keys'], step['renew_record']
    lambda do |vars, old|
      vars['record'] = old
      values = record.map { |_, template| template.call(vars) }
      out = renew ? {} : old
      record.each_with_index { |(key, _), i| out[key] = values[i] }
      remove.each { |k| out.delete(k) }
      out
    end
  end

  # filter_parser: [:ok, record, time, error] or [:drop, nil, nil, error]
  def self.compile_filter_parser(step)
    parse = compile_parse(step['parse'])
    key, reserve_data, reserve_time = step['key'], step['reserve_data'], step['reserve_time']
    remove_key, to_error = step['remove_key_name_field'], step['emit_invalid_record_to_error']
    lambda do |time, record|
      raw = record[key]
      parsed = raw.nil? ? nil : parse.call(raw)
      if parsed.nil?
        # a record kept (reserve_data) goes on through the filters, which may
        # change it: the error event is a copy of it as it is here
        error = to_error ? [reserve_data ? record.dup : record, time] : nil
        return [:ok, record, time, error] if reserve_data
        return [:drop, nil, nil, error]
      end
      values, t = parsed
      t = time if reserve_time || t.nil?
      return [:ok, values, t, nil] unless reserve_data
      base = record.dup
      base.delete(key) if remove_key
      [:ok, base.merge(values), t, nil]
    end
  end

  def self.compile_steps(steps)
    steps.map do |step|
      run = step['op'] == 'parser' ? compile_filter_parser(step) : compile_transformer(step)
      [regexp({ 'source' => step['match'], 'flags' => '', 'where' => 'tag' }), step['op'], run]
    end
  end

  # every part of a source's settings, compiled once: a bad regexp is an error up front
  def self.compile(settings)
    settings['_parse'] = compile_parse(settings['parse'])
    settings['_filters'] = compile_steps(settings['filters'])
    settings['_error_filters'] = compile_steps(settings['error_filters'])
    settings['_by_tag'] = {}
    settings['_tags'] = {} # host path -> tag, made once per file
  end

  # the filters whose tag pattern matches `tag`, chosen once per tag
  def self.for_tag(settings, tag)
    settings['_by_tag'][tag] ||= begin
      chosen = ->(steps) { steps.select { |re, _, _| re.match?(tag) }.map { |_, op, run| [op, run] } }
      vars = { 'tag' => tag, 'tag_parts' => tag.split('.'), 'hostname' => HOSTNAME }
      [chosen.call(settings['_filters']), chosen.call(settings['_error_filters']), vars]
    end
  end

  def self.filters(steps, vars, time, record, errors)
    steps.each do |op, run|
      if op == 'parser'
        state, record, time, error = run.call(time, record)
        errors << error if error
        return nil if state == :drop
      else
        vars['time'] = time
        record = run.call(vars, record)
      end
    end
    record
  end

  # the records fluentd emits for one record in_tail read (none, one, or an
  # error event's too), in the order they reach the output
  def self.run(text, path, settings)
    tag = (settings['_tags'][path] ||= settings['tag'].sub('*', path.sub(%r{\A/}, '').tr('/', '.')))
    parsed = settings['_parse'].call(text)
    return [] if parsed.nil? # in_tail: "pattern not matched", the record is dropped
    record, time = parsed
    record[settings['path_key']] = path unless settings['path_key'].to_s.empty?
    emit(record, time || Time.now, tag, settings)
  end

  def self.emit(record, time, tag, settings)
    steps, error_steps, vars = for_tag(settings, tag)
    errors = []
    out = filters(steps, vars, time, record, errors)
    emitted = errors.filter_map { |r, t| filters(error_steps, vars, t, r, []) }
    emitted + [out].compact
  end

  # fluent-plugin-systemd: `matches` (entries with all the fields of any one
  # hash; none: every entry), then <entry>'s field_map (and with
  # field_map_strict only the mapped fields); a field journalctl shows as
  # bytes (not printable UTF-8) is the string of those bytes, as libsystemd
  # hands it to the plugin. The time is the entry's realtime timestamp.
  def self.journal_record(fields, settings)
    matches = settings['matches']
    return nil unless matches.empty? || matches.any? { |m| m.all? { |k, v| fields[k] == v } }
    entry = settings['entry']
    record = {}
    fields.each do |name, value|
      value = value.pack('C*').force_encoding('UTF-8') if value.is_a?(Array) && value.all?(Integer)
      if entry['field_map'].key?(name)
        record[entry['field_map'][name]] = value
      elsif !entry['field_map_strict']
        record[name] = value
      end
    end
    record
  end

  # fluent-plugin-rewrite-tag-filter: the first rule whose pattern matches
  # its key's value gives the new tag ($1..$9 its captures); no rule, no record
  def self.rewrite(record, settings)
    settings['_rewrite'] ||= settings['rewrite'].map { |r| [r['key'], regexp(r['pattern']), r['tag']] }
    settings['_rewrite'].each do |key, re, tag|
      m = record[key].is_a?(String) && re.match(record[key])
      return tag.gsub(/\$(\d)/) { m[Regexp.last_match(1).to_i].to_s } if m
    end
    nil
  end

  def self.run_entry(fields, settings)
    record = journal_record(fields, settings)
    return [] if record.nil?
    tag = rewrite(record, settings)
    return [] if tag.nil?
    time = Time.at(Rational(fields['__REALTIME_TIMESTAMP'].to_i, 1_000_000))
    emit(record, time, tag, settings)
  end
end

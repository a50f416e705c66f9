# The steps of fluentd_pipeline.py, run on one record the way fluentd does, in
# Ruby (fluentd's runtime): in_tail's <parse>, then every <filter> whose tag
# pattern matches, in order (parser and record_transformer), and the
# <label @ERROR> filters for a record filter_parser could not parse.
require 'json'
require 'time'
require 'socket'

module FluentdPipeline
  class Refused < StandardError; end

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

  # every regexp of the settings, compiled once: a bad one is an error up front
  def self.compile(node)
    case node
    when Hash
      regexp(node) if node.key?('source') && node.key?('flags')
      node.each_value { |v| compile(v) }
    when Array
      regexp({ 'source' => node[1], 'flags' => node[2], 'where' => '' }) if node[0] == 'regexp'
      node.each { |v| compile(v) }
    end
  end

  TYPES = {
    'integer' => ->(v) { v.to_i }, 'float' => ->(v) { v.to_f },
    'bool' => ->(v) { v == 'true' }, 'string' => ->(v) { v.to_s }
  }.freeze

  # a <parse> section on text: [record, time] or nil when it does not match
  def self.parse(step, text)
    if step['type'] == 'none'
      record = { 'message' => text }
    else
      m = regexp(step['expression']).match(text)
      return nil unless m
      record = {}
      m.names.each { |n| record[n] = m[n] unless m[n].nil? }
    end
    if (null = step['null_value_pattern'])
      re = Regexp.new(null)
      record.each_key { |k| record[k] = nil if record[k].is_a?(String) && re.match?(record[k]) }
    end
    step['types'].each { |k, kind| record[k] = TYPES[kind].call(record[k]) if record.key?(k) && !record[k].nil? }
    time = nil
    if (key = step['time_key']) && record[key]
      value = record[key]
      time = step['time_format'] ? Time.strptime(value, step['time_format']) : Time.parse(value)
      record.delete(key) unless step['keep_time_key']
    end
    [record, time]
  end

  # the narrow Ruby of fluentd_ruby.py
  def self.eval_node(node, vars)
    case node[0]
    when 'lit' then node[1]
    when 'var' then vars.fetch(node[1])
    when 'regexp' then regexp({ 'source' => node[1], 'flags' => node[2], 'where' => 'record_transformer' })
    when 'hash' then node[1].to_h { |k, v| [eval_node(k, vars), eval_node(v, vars)] }
    when 'index' then eval_node(node[1], vars)[eval_node(node[2], vars)]
    when 'logic'
      left = eval_node(node[2], vars)
      node[1] == '&&' ? (left && eval_node(node[3], vars)) : (left || eval_node(node[3], vars))
    when 'binop' then eval_node(node[2], vars).public_send(node[1], eval_node(node[3], vars))
    when 'call'
      receiver = eval_node(node[1], vars)
      receiver.public_send(node[2], *node[3].map { |a| eval_node(a, vars) })
    else raise Refused, "unknown node #{node[0]}"
    end
  end

  def self.expand(template, vars)
    return eval_node(template['typed'], vars) if template.key?('typed')
    template['parts'].each_with_index.map { |p, i| i.even? ? p : eval_node(p, vars).to_s }.join
  end

  def self.transform(step, tag, time, record)
    vars = { 'record' => record, 'tag' => tag, 'tag_parts' => tag.split('.'), 'time' => time,
             'hostname' => Socket.gethostname }
    out = step['renew_record'] ? {} : record.dup
    step['record'].each { |key, template| out[key] = expand(template, vars) }
    step['remove_keys'].each { |k| out.delete(k) }
    out
  end

  # filter_parser: [:ok, record, time], [:error, record, time] or [:drop]
  def self.filter_parser(step, time, record)
    raw = record[step['key']]
    parsed = raw.nil? ? nil : parse(step['parse'], raw)
    if parsed.nil?
      error = step['emit_invalid_record_to_error'] ? [:error, record, time] : nil
      return [:ok, record, time, error] if step['reserve_data']
      return [:drop, nil, nil, error]
    end
    values, t = parsed
    t = time if step['reserve_time'] || t.nil?
    base = record.dup
    base.delete(step['key']) if step['remove_key_name_field']
    [:ok, step['reserve_data'] ? base.merge(values) : values, t, nil]
  end

  def self.filters(steps, tag, time, record, errors)
    steps.each do |step|
      next unless regexp({ 'source' => step['match'], 'flags' => '', 'where' => 'tag' }).match?(tag)
      if step['op'] == 'parser'
        state, record, time, error = filter_parser(step, time, record)
        errors << error if error
        return nil if state == :drop
      else
        record = transform(step, tag, time, record)
      end
    end
    record
  end

  # the records fluentd emits for one record in_tail read (none, one, or an
  # error event's too), in the order they reach the output
  def self.run(text, path, settings)
    tag = settings['tag'].sub('*', path.sub(%r{\A/}, '').tr('/', '.'))
    parsed = parse(settings['parse'], text)
    return [] if parsed.nil? # in_tail: "pattern not matched", the record is dropped
    record, time = parsed
    time ||= Time.now
    record[settings['path_key']] = path unless settings['path_key'].to_s.empty?
    errors = []
    out = filters(settings['filters'], tag, time, record, errors)
    emitted = errors.filter_map { |_, r, t| filters(settings['error_filters'], tag, t, r, []) }
    emitted + [out].compact
  end
end

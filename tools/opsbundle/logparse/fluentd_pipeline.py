"""What fluentd does with a record after in_tail reads it, as the fluentd
bundle configures it, read into steps that `fluentd_pipeline.rb` runs in Ruby
(fluentd's runtime, Onigmo, Ruby's Time):

- the `<parse>` of in_tail and of `@type parser` filters: `regexp` (with
  flags), `multiline` (format1..N joined, MULTILINE), `none`; `types`,
  `time_key`, `time_format`, `keep_time_key`, `null_value_pattern`;
- `<filter TAG>` in file order, each on the tags its patterns match (`*` one
  part, `**` any number): `@type parser` (key_name, reserve_data,
  reserve_time, remove_key_name_field, emit_invalid_record_to_error) and
  `@type record_transformer` (enable_ruby, auto_typecast, renew_record,
  remove_keys, `<record>`; the Ruby is fluentd_ruby.py's subset);
- `<label @ERROR>`: where filter_parser sends a record it cannot parse;
- the systemd journal: fluent-plugin-systemd's `<source @type systemd>`
  (`path`, `read_from_head`, `tag`, `matches`, `<entry>` with `field_map`
  and `field_map_strict`; `<storage>` keeps only its position) and the
  `<match>` of fluent-plugin-rewrite-tag-filter that re-tags its records
  (`<rule>` key, pattern, tag with `$1`..`$9`); the entries come from
  libsystemd, as the plugin's do (`journalctl -o json`, see the .rb).

A narrow emulation: a parameter or plugin not listed is refused with where it
is, so the suite fails instead of skipping it.
"""

from __future__ import annotations

import re

from . import ParseError, fluentd_ruby

PARSE_KEYS = {"@type", "expression", "format_firstline", "types", "time_key", "time_format",
              "keep_time_key", "null_value_pattern"}  # fmt: skip
PARSER_FILTER = {"@type", "@id", "key_name", "reserve_data", "reserve_time",
                 "remove_key_name_field", "emit_invalid_record_to_error"}  # fmt: skip
TRANSFORMER = {"@type", "@id", "enable_ruby", "auto_typecast", "renew_record", "remove_keys"}
_LITERAL = re.compile(r"^/(?P<source>.*)/(?P<flags>[imx]*)$")
_TYPES = {"integer", "float", "bool", "string"}


def _flag(params: dict, key: str, default: bool) -> bool:
    value = params.get(key, (str(default).lower(), 0))[0].lower()
    return value in ("true", "yes")


def literal(value: str, where: str) -> dict:
    m = _LITERAL.match(value)
    if not m:
        raise ParseError(f"{where}: not a /regexp/ literal: {value[:60]}")
    return {"source": m["source"], "flags": m["flags"], "where": where}


def _check(params: dict, allowed: set, what: str, where: str) -> None:
    unknown = sorted(k for k in params if k not in allowed and not re.fullmatch(r"format\d+", k))
    if unknown:
        raise ParseError(f"{where}: {what} parameter {unknown[0]!r} is not emulated")


def parse_section(node: dict, shown: str) -> dict:
    """A `<parse>` section as a step; its regexes carry where they are."""
    params = node["params"]
    at = f"{shown}:{node['line']}"
    _check(params, PARSE_KEYS, "<parse>", at)
    kind = params.get("@type", ("", 0))[0]
    step: dict = {"type": kind}
    if kind == "multiline":
        parts = [params[f"format{n}"] for n in range(1, 21) if f"format{n}" in params]
        if not parts:
            raise ParseError(f"{at}: multiline parser without format1")
        sources = [literal(value, f"{shown}:{line}") for value, line in parts]
        step["expression"] = {"source": "".join(s["source"] for s in sources), "flags": "m",
                              "where": sources[0]["where"]}  # fmt: skip
        if "format_firstline" in params:
            value, line = params["format_firstline"]
            step["firstline"] = literal(value, f"{shown}:{line}")
    elif kind == "regexp":
        value, line = params.get("expression", ("", node["line"]))
        step["expression"] = literal(value, f"{shown}:{line}")
    elif kind != "none":
        raise ParseError(f"{at}: parser @type {kind!r} is not emulated (regexp, multiline, none)")
    types = {}
    for pair in filter(None, params.get("types", ("", 0))[0].split(",")):
        name, _, kind_ = pair.strip().partition(":")
        if kind_ not in _TYPES:
            raise ParseError(f"{at}: types {name}:{kind_}: not one of {sorted(_TYPES)}")
        types[name] = kind_
    step["types"] = types
    for key in ("time_key", "time_format"):
        if key in params:
            step[key] = params[key][0]
    step["keep_time_key"] = _flag(params, "keep_time_key", False)
    if "null_value_pattern" in params:
        step["null_value_pattern"] = params["null_value_pattern"][0]
    return step


def _transformer(node: dict, shown: str) -> dict:
    params, at = node["params"], f"{shown}:{node['line']}"
    _check(params, TRANSFORMER, "record_transformer", at)
    ruby, typecast = _flag(params, "enable_ruby", False), _flag(params, "auto_typecast", False)
    record = []
    for child in node["children"]:
        if child["name"] != "record":
            raise ParseError(f"{shown}:{child['line']}: <{child['name']}> is not emulated")
        for key, (value, line) in child["params"].items():
            record.append([key, fluentd_ruby.template(value, ruby, typecast, f"{shown}:{line}")])
    remove = [k.strip() for k in params.get("remove_keys", ("", 0))[0].split(",") if k.strip()]
    return {"op": "record_transformer", "record": record, "remove_keys": remove,
            "renew_record": _flag(params, "renew_record", False)}  # fmt: skip


def _parser_filter(node: dict, shown: str) -> dict:
    params, at = node["params"], f"{shown}:{node['line']}"
    _check(params, PARSER_FILTER, "parser filter", at)
    parses = [c for c in node["children"] if c["name"] == "parse"]
    if len(parses) != 1 or "key_name" not in params:
        raise ParseError(f"{at}: a parser filter needs key_name and one <parse>")
    return {
        "op": "parser",
        "key": params["key_name"][0],
        "parse": parse_section(parses[0], shown),
        "reserve_data": _flag(params, "reserve_data", False),
        "reserve_time": _flag(params, "reserve_time", False),
        "remove_key_name_field": _flag(params, "remove_key_name_field", False),
        "emit_invalid_record_to_error": _flag(params, "emit_invalid_record_to_error", True),
    }


def tag_regex(patterns: str) -> str:
    """fluentd's tag patterns (`*` one part, `**` any) as one Ruby regexp source."""
    alternatives = []
    for pattern in patterns.split():
        regex = re.escape(pattern).replace(r"\.\*\*", r"(?:\..+)?").replace(r"\*\*", ".*")
        alternatives.append(regex.replace(r"\*", r"[^.]+"))
    return r"\A(?:" + "|".join(alternatives) + r")\z"


def filters(nodes: list, shown: str) -> list[dict]:
    steps = []
    for node in nodes:
        if node["name"] != "filter":
            continue
        kind = node["params"].get("@type", ("", 0))[0]
        if kind == "parser":
            step = _parser_filter(node, shown)
        elif kind == "record_transformer":
            step = _transformer(node, shown)
        else:
            raise ParseError(f"{shown}:{node['line']}: filter @type {kind!r} is not emulated")
        step["match"] = tag_regex(node["arg"])
        steps.append(step)
    return steps


def read(tree: dict, shown: str) -> dict:
    """Every filter of a config file, and those of its `<label @ERROR>`."""
    error = [n for n in tree["children"] if n["name"] == "label" and n["arg"] == "@ERROR"]
    others = [n for n in tree["children"] if n["name"] == "label" and n["arg"] != "@ERROR"]
    if others:
        raise ParseError(f"{shown}:{others[0]['line']}: label {others[0]['arg']} is not emulated")
    return {
        "filters": filters(tree["children"], shown),
        "error_filters": filters(error[0]["children"], shown) if error else [],
    }


def settings(source: dict, parse: dict, pipeline: dict, shown: str) -> dict:
    """What fluentd_pipeline.rb needs for one in_tail source."""
    params = source["params"]
    return {
        "tag": params.get("tag", ("", 0))[0],
        "path_key": params.get("path_key", ("", 0))[0],
        "parse": parse,
        **pipeline,
        "where": f"{shown}:{source['line']}",
    }


SYSTEMD = {"@type", "@id", "path", "read_from_head", "tag", "matches"}
ENTRY = {"field_map", "field_map_strict"}
REWRITE_RULE = {"key", "pattern", "tag"}


def _rewrites(tree: dict, tag: str, shown: str) -> list[dict]:
    """The rules of the rewrite_tag_filter `<match>` that takes `tag`."""
    for node in tree["children"]:
        if node["name"] != "match" or not node["arg"]:
            continue
        if not re.fullmatch(tag_regex(node["arg"]).removeprefix(r"\A").removesuffix(r"\z"), tag):
            continue
        kind = node["params"].get("@type", ("", 0))[0]
        if kind != "rewrite_tag_filter":
            raise ParseError(f"{shown}:{node['line']}: the journal's records go to a <match> "
                             f"@type {kind!r}, not emulated (rewrite_tag_filter)")  # fmt: skip
        rules = []
        for rule in node["children"]:
            at = f"{shown}:{rule['line']}"
            if rule["name"] != "rule":
                raise ParseError(f"{at}: <{rule['name']}> is not emulated")
            _check(rule["params"], REWRITE_RULE, "rewrite_tag_filter <rule>", at)
            new_tag = rule["params"].get("tag", ("", 0))[0]
            if re.search(r"\$\{|__", new_tag):
                raise ParseError(f"{at}: tag placeholders other than $1..$9 are not emulated")
            value, line = rule["params"].get("pattern", ("", rule["line"]))
            key = rule["params"].get("key", ("", 0))[0]
            pattern = literal(value, f"{shown}:{line}")
            rules.append({"key": key, "pattern": pattern, "tag": new_tag})
        return rules
    raise ParseError(f"{shown}: no <match> takes the journal's tag {tag!r}")


def journal_settings(source: dict, tree: dict, pipeline: dict, shown: str) -> dict:
    """What fluentd_pipeline.rb needs for one systemd source."""
    import json

    at = f"{shown}:{source['line']}"
    params = source["params"]
    _check(params, SYSTEMD, "systemd source", at)
    entry: dict = {"field_map": {}, "field_map_strict": False}
    for child in source["children"]:
        if child["name"] == "storage":
            continue  # where the plugin keeps its position: nothing to emulate
        if child["name"] != "entry":
            raise ParseError(f"{shown}:{child['line']}: <{child['name']}> is not emulated")
        _check(child["params"], ENTRY, "<entry>", f"{shown}:{child['line']}")
        mapping = json.loads(child["params"].get("field_map", ("{}", 0))[0])
        if not all(isinstance(v, str) for v in mapping.values()):
            raise ParseError(
                f"{shown}:{child['line']}: field_map to several fields is not emulated"
            )
        entry = {"field_map": mapping,
                 "field_map_strict": _flag(child["params"], "field_map_strict", False)}  # fmt: skip
    tag = params.get("tag", ("", 0))[0]
    return {
        "journal": True,
        "tag": tag,
        "path_key": "",
        "parse": {"type": "none", "types": {}, "keep_time_key": False},
        "entry": entry,
        "matches": json.loads(params.get("matches", ("[]", 0))[0]),
        "read_from_head": _flag(params, "read_from_head", False),
        "rewrite": _rewrites(tree, tag, shown),
        **pipeline,
        "where": at,
    }

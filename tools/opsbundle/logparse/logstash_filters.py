"""The logstash filters the logstash bundle ships after grok, read into steps
that `logstash_filters.rb` runs inside JRuby (logstash's own runtime): `mutate`
(rename, convert, gsub, uppercase, copy, then add_field and remove_field, in
logstash's order), `date` (Joda-Time, the library logstash's date filter
parses with) and `if "value" in [field] { } else { }`.

A narrow, documented emulation: an option or a plugin not listed here is
refused with where it is, so a directive the emulation cannot run fails
`validate` and the suite instead of being skipped.
"""

from __future__ import annotations

from . import ParseError

# mutate's options that are run, in the order logstash's mutate applies them;
# add_field and remove_field are the common options, applied after them
MUTATE = ("rename", "convert", "gsub", "uppercase", "copy", "add_field", "remove_field")
CONVERSIONS = ("integer", "float", "boolean", "string")
DATE = ("match", "target")


def _text(value, where: str) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        return value[0]
    if isinstance(value, str):
        return value
    raise ParseError(f"{where}: expected a string")


def _list(value, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [_text(v, where) for v in items]


def _hash(value, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ParseError(f"{where}: expected a hash")
    return {k: _text(v, where) for k, v in value.items()}


def _mutate(attrs: dict, where: str) -> dict:
    unknown = sorted(set(attrs) - set(MUTATE) - {"id"})
    if unknown:
        raise ParseError(f"{where}: mutate option {unknown[0]!r} is not emulated")
    step: dict = {"op": "mutate"}
    for key in ("rename", "convert", "copy", "add_field"):
        if key in attrs:
            step[key] = _hash(attrs[key], where)
    for field, kind in step.get("convert", {}).items():
        if kind not in CONVERSIONS:
            raise ParseError(f"{where}: convert {field} => {kind!r}: not one of {CONVERSIONS}")
    for key in ("uppercase", "remove_field"):
        if key in attrs:
            step[key] = _list(attrs[key], where)
    if "gsub" in attrs:
        flat = _list(attrs["gsub"], where)
        if len(flat) % 3:
            raise ParseError(f"{where}: gsub takes field, pattern, replacement triples")
        step["gsub"] = [flat[i : i + 3] for i in range(0, len(flat), 3)]
    return step


def _date(attrs: dict, where: str) -> dict:
    unknown = sorted(set(attrs) - set(DATE) - {"id"})
    if unknown:
        raise ParseError(f"{where}: date option {unknown[0]!r} is not emulated")
    match = _list(attrs.get("match", []), where)
    if len(match) < 2:
        raise ParseError(f"{where}: date match needs a field and at least one format")
    return {"op": "date", "field": match[0], "formats": match[1:],
            "target": _text(attrs.get("target", "@timestamp"), where)}  # fmt: skip


def compile_plugin(name: str, attrs, where: str) -> dict:
    """One filter plugin (or conditional) as a step for logstash_filters.rb."""
    if name == "if":
        shown = where.rsplit(":", 1)[0]

        def branch(plugins):
            return [compile_plugin(n, a, f"{shown}:{line}") for n, a, line in plugins]

        return {"op": "if", "value": attrs["value"], "field": attrs["field"],
                "then": branch(attrs["then"]), "else": branch(attrs["else"])}  # fmt: skip
    if name == "mutate":
        return _mutate(attrs, where)
    if name == "date":
        return _date(attrs, where)
    raise ParseError(f"{where}: filter {name!r} is not emulated (grok, mutate, date and if are)")

"""fluentd: the `<parse>` sections of in_tail sources, run in Onigmo.

What fluentd itself does with them, and so what this does: a `multiline`
parser joins format1..formatN into one Regexp compiled with MULTILINE and
starts a record at each line matching `format_firstline`; a `regexp` parser
matches `expression` (flags after the closing slash) on each line. Which
source reads a file is decided by its `path` (comma-separated globs) minus
`exclude_path`. A `<filter>` of `@type parser` on the source's `path_key`
field (here `log_path`) runs its regexp on the file's path for every source
whose tag its pattern matches (`*` one tag part, `**` any number).
"""

from __future__ import annotations

import json
import re

from . import Input, ParseError, Rule, ruby

TOOL = "fluentd"
BINARY = "ruby"
PACKAGE = "ruby"
CONFIG_SUFFIX = ".conf"
_OPEN = re.compile(r"^<(?P<name>[a-z@_]+)(?:\s+(?P<arg>[^>]*))?>$")
_CLOSE = re.compile(r"^</(?P<name>[a-z@_]+)>$")
_PARAM = re.compile(r"^(?P<key>[@\w]+)(?:\s+(?P<value>.*))?$")
_LITERAL = re.compile(r"^/(?P<source>.*)/(?P<flags>[imx]*)$")


def _sections(text: str, shown: str):
    """(directive, arg, params {key: (value, line)}, children) trees of a fluentd config."""
    root = {"name": "", "arg": "", "params": {}, "children": [], "line": 0}
    stack = [root]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if m := _CLOSE.match(line):
            if len(stack) == 1 or stack[-1]["name"] != m["name"]:
                raise ParseError(f"{shown}:{number}: unbalanced </{m['name']}>")
            stack.pop()
        elif m := _OPEN.match(line):
            node = {"name": m["name"], "arg": m["arg"] or "", "params": {}, "children": []}
            node["line"] = number
            stack[-1]["children"].append(node)
            stack.append(node)
        elif m := _PARAM.match(line):
            stack[-1]["params"][m["key"]] = ((m["value"] or "").strip(), number)
    if len(stack) != 1:
        raise ParseError(
            f"{shown}: <{stack[-1]['name']}> at line {stack[-1]['line']} is not closed"
        )
    return root


def _literal(value: str, where: str) -> tuple[str, bool]:
    m = _LITERAL.match(value)
    if not m:
        raise ParseError(f"{where}: not a /regexp/ literal: {value[:60]}")
    if set(m["flags"]) - {"m"}:
        raise ParseError(f"{where}: flags {m['flags']!r}: only 'm' is used by these bundles")
    return m["source"], "m" in m["flags"]


def _globs(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        return json.loads(value)
    return [p.strip() for p in value.split(",") if p.strip()]


def _input(source: dict, shown: str) -> Input | None:
    parses = [c for c in source["children"] if c["name"] == "parse"]
    if source["params"].get("@type", ("",))[0] != "tail" or not parses:
        return None
    parse = parses[0]
    params = parse["params"]
    kind = params.get("@type", ("",))[0]
    at = f"{shown}:{parse['line']}"
    path, _ = source["params"].get("path", ("", 0))
    exclude = _globs(source["params"].get("exclude_path", ("[]", 0))[0])
    item = Input(globs=_globs(path), patterns=[], where=at, exclude=exclude)
    if kind == "multiline":
        parts, first_line = [], 0
        for n in range(1, 21):
            if f"format{n}" in params:
                value, line = params[f"format{n}"]
                first_line = first_line or line
                parts.append(_literal(value, f"{shown}:{line}")[0])
        if not parts:
            raise ParseError(f"{at}: multiline parser without format1")
        item.patterns.append(Rule("".join(parts), f"{shown}:{first_line}", multiline=True))
        if "format_firstline" in params:
            value, line = params["format_firstline"]
            item.starts.append(Rule(_literal(value, f"{shown}:{line}")[0], f"{shown}:{line}"))
    elif kind == "regexp":
        value, line = params.get("expression", ("", parse["line"]))
        source_re, multiline = _literal(value, f"{shown}:{line}")
        item.patterns.append(Rule(source_re, f"{shown}:{line}", multiline=multiline))
    else:
        raise ParseError(f"{at}: parser @type {kind!r} is not one these bundles use")
    return item


def _tag_matches(patterns: str, tag: str) -> bool:
    for pattern in patterns.split():
        regex = re.escape(pattern).replace(r"\.\*\*", r"(?:\..+)?").replace(r"\*", r"[^.]+")
        if re.fullmatch(regex, tag):
            return True
    return False


def _path_filters(tree: dict, shown: str) -> list[tuple[str, str, Rule]]:
    """(tag patterns, key_name, rule) of each parser filter."""
    found = []
    for node in tree["children"]:
        if node["name"] != "filter" or node["params"].get("@type", ("",))[0] != "parser":
            continue
        parses = [c for c in node["children"] if c["name"] == "parse"]
        if not parses or parses[0]["params"].get("@type", ("",))[0] != "regexp":
            raise ParseError(f"{shown}:{node['line']}: parser filter without a regexp <parse>")
        value, line = parses[0]["params"].get("expression", ("", node["line"]))
        source, multiline = _literal(value, f"{shown}:{line}")
        key = node["params"].get("key_name", ("", 0))[0]
        found.append((node["arg"], key, Rule(source, f"{shown}:{line}", multiline)))
    return found


def read(out) -> list[Input]:
    inputs = []
    for dest in out.only(CONFIG_SUFFIX):
        shown = out.where(dest)
        tree = _sections(out.files[dest].read_text(encoding="utf-8"), shown)
        filters = _path_filters(tree, shown)
        for node in tree["children"]:
            if node["name"] != "source":
                continue
            item = _input(node, shown)
            if item is None:
                continue
            # in_tail puts the file's path, dots for slashes, where the tag has '*'
            tag = node["params"].get("tag", ("", 0))[0].replace("*", "var.log.x.y.log")
            path_key = node["params"].get("path_key", ("", 0))[0]
            item.path_patterns = [
                rule for pattern, key, rule in filters
                if key and key == path_key and _tag_matches(pattern, tag)
            ]  # fmt: skip
            inputs.append(item)
    return inputs


def match(groups):
    return ruby.run(BINARY, groups)

"""fluentd: in_tail sources and the filters after them, run in Ruby.

What fluentd itself does with them, and so what this does: a file goes to the
`<source>` whose `path` (comma-separated globs) matches and whose
`exclude_path` does not; in_tail starts a record at each line matching a
multiline parser's `format_firstline` (every line without one); the record
then goes through in_tail's `<parse>`, every `<filter>` whose tag pattern
matches its tag (the source's `tag` with the file's path, dots for slashes,
where it has `*`) and, when a parser filter cannot parse it, the filters of
`<label @ERROR>` (fluentd_pipeline.py reads them, fluentd_pipeline.rb runs
them). What comes out is the event.

The journal: a `<source @type systemd>` (fluent-plugin-systemd) reads the
journal's entries, and the rewrite_tag_filter `<match>` its tag goes to gives
each its tag; then the same filters. A journal case is written into a
journal file (logparse.journal) that the runner reads with journalctl.
"""

from __future__ import annotations

import json
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import Input, ParseError, Rule, fluentd_pipeline, journal, ruby

TOOL = "fluentd"
BINARY = "ruby"
PACKAGE = "ruby"
CONFIG_SUFFIX = ".conf"
_OPEN = re.compile(r"^<(?P<name>[a-z@_]+)(?:\s+(?P<arg>[^>]*))?>$")
_CLOSE = re.compile(r"^</(?P<name>[a-z@_]+)>$")
_PARAM = re.compile(r"^(?P<key>[@\w]+)(?:\s+(?P<value>.*))?$")


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


def _globs(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        return json.loads(value)
    return [p.strip() for p in value.split(",") if p.strip()]


def read(out) -> list[Input]:
    inputs = []
    for dest in out.only(CONFIG_SUFFIX):
        shown = out.where(dest)
        tree = _sections(out.files[dest].read_text(encoding="utf-8"), shown)
        pipeline = fluentd_pipeline.read(tree, shown)
        for node in tree["children"]:
            if node["name"] == "source" and node["params"].get("@type", ("",))[0] == "systemd":
                settings = fluentd_pipeline.journal_settings(node, tree, pipeline, shown)
                inputs.append(Input([journal.address("*")], [], where=settings["where"],
                                    extra={"fluentd": settings, "journal": True}))  # fmt: skip
                continue
            parses = [c for c in node["children"] if c["name"] == "parse"]
            if node["name"] != "source" or not parses:
                continue
            if node["params"].get("@type", ("",))[0] != "tail":
                continue
            parse = fluentd_pipeline.parse_section(parses[0], shown)
            path, _ = node["params"].get("path", ("", 0))
            item = Input(
                globs=_globs(path),
                patterns=[],
                where=f"{shown}:{parses[0]['line']}",
                exclude=_globs(node["params"].get("exclude_path", ("[]", 0))[0]),
            )
            if "firstline" in parse:
                first = parse["firstline"]
                item.starts.append(Rule(first["source"], first["where"]))
            item.extra["fluentd"] = fluentd_pipeline.settings(node, parse, pipeline, shown)
            inputs.append(item)
    return inputs


def _regexps(node, where: str):
    if isinstance(node, dict):
        if {"source", "flags"} <= set(node):
            yield node["source"], "m" in node["flags"], node.get("where", where)
        if "match" in node:  # a filter's tag pattern
            yield node["match"], False, where
        for value in node.values():
            yield from _regexps(value, where)
    elif isinstance(node, list):
        if node[:1] == ["regexp"] and len(node) == 3:
            yield node[1], "m" in node[2], where
        for value in node:
            yield from _regexps(value, where)


def extra_patterns(item: Input) -> list[tuple[str, bool, str]]:
    """Every regexp of the source's parse and of the filters, for validate."""
    settings = item.extra.get("fluentd", {})
    return list(dict.fromkeys(_regexps(settings, settings.get("where", item.where))))


@contextmanager
def _journals(groups):
    """The groups, each journal case (an export) as the journal folder
    systemd-journal-remote writes from it, which the runner reads."""
    with tempfile.TemporaryDirectory(prefix="opsbundle-fluentd-journal-") as tmp:
        out = []
        for g, (item, cases) in enumerate(groups):
            if item.extra.get("journal"):
                cases = [
                    (host, journal.write(Path(local), host.removeprefix(journal.PREFIX),
                                         Path(tmp) / f"{g}-{n}"))
                    for n, (host, local) in enumerate(cases)
                ]  # fmt: skip
            out.append((item, cases))
        yield out


def stream(groups):
    with _journals(groups) as ready:
        yield from ruby.stream(BINARY, ready)


def stream_to(groups, events_fd: int) -> None:
    """The events of `groups` as JSON lines on `events_fd`, written by the runner."""
    with _journals(groups) as ready:
        for _ in ruby.stream(BINARY, ready, events_fd):
            pass

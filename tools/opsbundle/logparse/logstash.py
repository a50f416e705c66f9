"""logstash: file inputs (with their multiline codec) and the grok filter of a
pipeline, grok expanded from the standard pattern definitions and matched by
Joni, the regex library logstash runs on (JRuby's own Regexp).

As logstash does: a file goes to the first `file` input whose `path` globs
match it and whose `exclude` (matched against the file name) does not; its
multiline codec (negate => true, what => previous) starts a record at each
line matching `pattern`; the grok filter tries its `match` patterns for
`message` in order and keeps the first match (break_on_match). `%{NAME:field}`
is expanded from the grok-patterns shipped by PyPI's pygrok plus the filter's
`pattern_definitions`. A grok on `[log][file][path]` (where the file input
puts the path) runs on the file's path; the message grok's fields replace its
fields (`overwrite`).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from . import Input, ParseError, Rule, ruby
from . import logstash_filters as filters

TOOL = "logstash"
BINARY = "jruby"
PACKAGE = "jruby"
CONFIG_SUFFIX = ".conf"
_TOKEN = re.compile(
    r"""(?P<ws>\s+|\#[^\n]*)
      | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
      | (?P<arrow>=>)
      | (?P<op>==|!=|=~|!~|<=|>=|<|>)
      | (?P<punct>[{}\[\],])
      | (?P<word>[A-Za-z0-9_.@+\-]+)""",
    re.X,
)
PATH_FIELD = "[log][file][path]"
_REF = re.compile(r"%\{(?P<name>\w+)(?::(?P<field>[\w@]+))?(?::(?:int|float))?\}")


def _tokens(text: str, shown: str):
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ParseError(f"{shown}:{line}: unexpected {text[pos : pos + 20]!r}")
        kind = m.lastgroup
        if kind != "ws":
            value = m.group()
            if kind == "string":
                value = value[1:-1]  # logstash keeps backslashes as written by default
            yield kind, value, line
        line += m.group().count("\n")
        pos = m.end()
    yield "end", "", line


class _Reader:
    def __init__(self, text: str, shown: str):
        self.shown = shown
        self.tokens = list(_tokens(text, shown))
        self.i = 0

    def peek(self, n: int = 0):
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    def take(self, kind: str | None = None, value: str | None = None):
        tok = self.peek()
        if tok[0] == "end":
            raise ParseError(f"{self.shown}:{tok[2]}: unexpected end of file (a '}}' is missing)")
        if (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            want = value or kind
            raise ParseError(f"{self.shown}:{tok[2]}: expected {want!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    def config(self) -> dict[str, list]:
        sections: dict[str, list] = {}
        while self.peek()[0] != "end":
            name = self.take("word")[1]
            self.take("punct", "{")
            sections.setdefault(name, []).extend(self.plugins())
            self.take("punct", "}")
        return sections

    def plugins(self) -> list:
        found = []
        while self.peek()[1] != "}":
            _, name, line = self.take("word")
            if name == "if":
                found.append(("if", self.conditional(), line))
                continue
            if name == "else":
                raise ParseError(f"{self.shown}:{line}: else without if")
            found.append((name, self.attrs(), line))
        return found

    def conditional(self) -> dict:
        """`if "tag" in [field] { ... } else { ... }`: the one condition these
        bundles use (a tag a filter set); anything else is refused."""
        kind, text, line = self.take()
        if kind != "string" or self.peek()[1] != "in":
            raise ParseError(f'{self.shown}:{line}: only `if "value" in [field]` is run here')
        self.take("word", "in")
        self.take("punct", "[")
        field = self.take("word")[1]
        self.take("punct", "]")
        self.take("punct", "{")
        then = self.plugins()
        self.take("punct", "}")
        otherwise: list = []
        if self.peek()[1] == "else":
            self.take()
            self.take("punct", "{")
            otherwise = self.plugins()
            self.take("punct", "}")
        return {"value": text, "field": field, "then": then, "else": otherwise}

    def attrs(self) -> dict:
        self.take("punct", "{")
        out = {}
        while self.peek()[1] != "}":
            key = self.take()[1]
            self.take("arrow")
            out[key] = self.value()
        self.take("punct", "}")
        return out

    def value(self):
        kind, text, line = self.peek()
        if text == "[":
            self.take()
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.take()
            self.take("punct", "]")
            return items
        if text == "{":
            self.take()
            out = {}
            while self.peek()[1] != "}":
                key = self.take()[1]
                self.take("arrow")
                out[key] = self.value()
                if self.peek()[1] == ",":
                    self.take()
            self.take("punct", "}")
            return out
        if kind == "word" and self.peek(1)[1] == "{":
            self.take()
            return (text, self.attrs(), line)  # a codec with its settings
        if kind in ("string", "word"):
            self.take()
            return (text, line) if kind == "string" else text
        raise ParseError(f"{self.shown}:{line}: unexpected {text!r}")


@cache
def standard_patterns() -> dict[str, str]:
    """The standard grok definitions (logstash-patterns-core, as PyPI's pygrok ships them)."""
    found = {}
    for entry in sorted(resources.files("pygrok").joinpath("patterns").iterdir(), key=str):
        for line in entry.read_text(encoding="utf-8").splitlines():
            name, _, pattern = line.strip().partition(" ")
            if name and not name.startswith("#") and pattern:
                found[name] = pattern.strip()
    return found


def expand(pattern: str, extra: dict[str, str], where: str, depth: int = 0) -> str:
    if depth > 40:
        raise ParseError(f"{where}: grok patterns refer to each other in a loop")
    defs = {**standard_patterns(), **extra}

    def one(m: re.Match) -> str:
        if m["name"] not in defs:
            raise ParseError(f"{where}: unknown grok pattern %{{{m['name']}}}")
        inner = expand(defs[m["name"]], extra, where, depth + 1)
        return f"(?<{m['field']}>{inner})" if m["field"] else f"(?:{inner})"

    return _REF.sub(one, pattern)


def _strings(value, where: str) -> list[tuple[str, int]]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise ParseError(f"{where}: expected a string or a list of strings")
        out.append(item)
    return out


def read(out) -> list[Input]:
    inputs, patterns, on_path, post, overwrite = [], [], [], [], []
    for dest in out.only(CONFIG_SUFFIX):
        shown = out.where(dest)
        sections = _Reader(out.files[dest].read_text(encoding="utf-8"), shown).config()
        for name, attrs, line in sections.get("filter", []):
            if name != "grok":
                post.append(filters.compile_plugin(name, attrs, f"{shown}:{line}"))
                continue
            overwrite += [v for v, _ in _strings(attrs.get("overwrite", []), f"{shown}:{line}")]
            defs = {k: v[0] for k, v in (attrs.get("pattern_definitions") or {}).items()}
            for field, value in (attrs.get("match") or {}).items():
                if field not in ("message", PATH_FIELD):
                    continue
                into = patterns if field == "message" else on_path
                for text, at in _strings(value, f"{shown}:{line}"):
                    into.append(Rule(expand(text, defs, f"{shown}:{at}"), f"{shown}:{at}"))
        for name, attrs, line in sections.get("input", []):
            if name != "file":
                continue
            item = Input(
                globs=[p for p, _ in _strings(attrs.get("path", []), f"{shown}:{line}")],
                patterns=patterns,
                exclude=[f"*/{p}" for p, _ in _strings(attrs.get("exclude", []), shown)],
                where=f"{shown}:{line}",
                path_patterns=on_path,
                extra={"logstash": {"post": post, "overwrite": overwrite}},
            )
            codec = attrs.get("codec")
            if isinstance(codec, tuple) and len(codec) == 3 and codec[0] == "multiline":
                settings = codec[1]
                if settings.get("negate") != "true" or settings.get("what", ("",))[0] != "previous":
                    raise ParseError(
                        f"{shown}:{codec[2]}: only negate => true, what => previous is run here"
                    )
                text, at = settings["pattern"]
                item.starts.append(Rule(expand(text, {}, f"{shown}:{at}"), f"{shown}:{at}"))
            inputs.append(item)
    return inputs


def _gsubs(steps, where: str):
    for step in steps:
        for _, pattern, _ in step.get("gsub", []):
            yield pattern, False, where
        yield from _gsubs(step.get("then", []) + step.get("else", []), where)


def extra_patterns(item: Input) -> list[tuple[str, bool, str]]:
    """mutate's gsub patterns (Ruby regexps, Joni here), for validate."""
    return list(dict.fromkeys(_gsubs(item.extra["logstash"]["post"], item.where)))


def stream(groups):
    return ruby.stream(BINARY, groups)


def stream_to(groups, events_fd: int) -> None:
    """The events of `groups` as JSON lines on `events_fd`, written by the runner."""
    for _ in ruby.stream(BINARY, groups, events_fd):
        pass

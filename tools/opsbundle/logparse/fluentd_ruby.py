"""The Ruby the fluentd bundle writes in `record_transformer` placeholders
(`enable_ruby true`), read into a tree that `fluentd_pipeline.rb` evaluates
with Ruby's own methods. Nothing a bundle ships is handed to `eval`: only this
subset exists, and anything else is refused with the reason.

    expression := term (("&&" | "||") term)*
    term       := postfix (("*" | "/" | "+" | "-") postfix)*
    postfix    := primary ("." METHOD ["(" args ")"] | "[" expression "]")*
    primary    := record | time | tag | tag_parts | hostname | true | false | nil
                | 'string' | "string" | number | -number | /regexp/ | { "k" => "v", ... }
                | "(" expression ")"

Methods: those in METHODS, each with Ruby's meaning. A record_transformer
value is text with `${...}` placeholders; with `auto_typecast true` a value
that is exactly one placeholder keeps the result's type, else the parts are
joined as strings (fluentd's RubyPlaceholderExpander does the same).
"""

from __future__ import annotations

import re

from . import ParseError

VARIABLES = ("record", "time", "tag", "tag_parts", "hostname")
METHODS = ("strftime", "utc", "to_i", "to_f", "to_s", "downcase", "upcase", "gsub", "sub",
           "chomp", "strip", "fetch", "round")  # fmt: skip
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")
      |(?P<number>\d+(?:\.\d+)?)
      |(?P<op>&&|\|\||=>|[-+*/.,()\[\]{}])
      |(?P<name>[a-z_][a-z_0-9]*[?!]?))""",
    re.X,
)
_REGEX = re.compile(r"/((?:\\.|[^/\\])*)/([mix]*)")


class _Reader:
    def __init__(self, text: str, where: str):
        self.text, self.pos, self.where = text, 0, where

    def fail(self, why: str):
        raise ParseError(f"{self.where}: record_transformer: {why} in ${{{self.text}}}")

    def peek(self) -> tuple[str, str]:
        m = _TOKEN.match(self.text, self.pos)
        if not m or m.end() == self.pos:
            rest = self.text[self.pos :].strip()
            return ("end", "") if not rest else ("bad", rest[:20])
        return m.lastgroup, m.group(m.lastgroup)

    def take(self, value: str | None = None) -> tuple[str, str]:
        m = _TOKEN.match(self.text, self.pos)
        kind, text = self.peek()
        if kind in ("end", "bad") or (value is not None and text != value):
            self.fail(f"expected {value or 'more'!r}, found {text or 'the end'!r}")
        self.pos = m.end()
        return kind, text

    def expression(self):
        left = self.term()
        while self.peek()[1] in ("&&", "||"):
            op = self.take()[1]
            left = ["logic", op, left, self.term()]
        return left

    def term(self):
        left = self.postfix()
        while self.peek()[1] in ("*", "/", "+", "-"):
            op = self.take()[1]
            left = ["binop", op, left, self.postfix()]
        return left

    def postfix(self):
        node = self.primary()
        while self.peek()[1] in (".", "["):
            if self.take()[1] == "[":
                node = ["index", node, self.expression()]
                self.take("]")
                continue
            kind, name = self.take()
            if kind != "name" or name not in METHODS:
                self.fail(f"method {name!r} is not one the bundle may call")
            args = []
            if self.peek()[1] == "(":
                self.take("(")
                while self.peek()[1] != ")":
                    args.append(self.expression())
                    if self.peek()[1] == ",":
                        self.take(",")
                self.take(")")
            node = ["call", node, name, args]
        return node

    def primary(self):
        rest = self.text[self.pos :].lstrip()
        if rest.startswith("/"):
            m = _REGEX.match(rest)
            if not m:
                self.fail("unterminated regexp")
            self.pos = len(self.text) - len(rest) + m.end()
            return ["regexp", m.group(1), m.group(2)]
        kind, text = self.take()
        if kind == "string":
            body = text[1:-1]
            if text[0] == "'":
                return ["lit", re.sub(r"\\([\\'])", r"\1", body)]
            if "#{" in body:
                self.fail("string interpolation")
            escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
            return ["lit", re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), body)]
        if kind == "number":
            return ["lit", float(text) if "." in text else int(text)]
        if text == "-" and self.peek()[0] == "number":
            value = self.take()[1]
            return ["lit", -(float(value) if "." in value else int(value))]
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if text == "{":
            pairs = []
            while self.peek()[1] != "}":
                key = self.expression()
                self.take("=>")
                pairs.append([key, self.expression()])
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("}")
            return ["hash", pairs]
        if kind == "name" and text in ("true", "false", "nil"):
            return ["lit", {"true": True, "false": False, "nil": None}[text]]
        if kind == "name" and text in VARIABLES:
            return ["var", text]
        self.fail(f"{text!r} is not something the bundle may use")
        return None


def expression(text: str, where: str):
    reader = _Reader(text, where)
    tree = reader.expression()
    if reader.peek()[0] != "end":
        reader.fail(f"unexpected {reader.peek()[1]!r}")
    return tree


def _placeholders(value: str, where: str) -> list:
    """Literal text and ${...} parts, braces inside a placeholder balanced."""
    parts, pos = [], 0
    while (start := value.find("${", pos)) >= 0:
        parts.append(value[pos:start])
        depth, i = 0, start + 2
        while i < len(value):
            if value[i] == "{":
                depth += 1
            elif value[i] == "}":
                if depth == 0:
                    break
                depth -= 1
            i += 1
        else:
            raise ParseError(f"{where}: unclosed ${{ in {value!r}")
        parts.append(value[start + 2 : i])
        pos = i + 1
    parts.append(value[pos:])
    return parts


_PLAIN = re.compile(r'^\s*(?:tag|hostname|tag_parts\[-?\d+\]|record\["[^"]+"\])\s*$')


def template(value: str, ruby: bool, typecast: bool, where: str) -> dict:
    """A `<record>` value: {"typed": tree} or {"parts": [text | tree, ...]}."""
    parts = _placeholders(value, where)
    codes = parts[1::2]
    if not ruby:
        bad = [c for c in codes if not _PLAIN.match(c)]
        if bad:
            raise ParseError(f"{where}: ${{{bad[0]}}} needs enable_ruby true")
    if typecast and len(codes) == 1 and parts[0] == "" and parts[2] == "":
        return {"typed": expression(codes[0], where)}
    return {"parts": [p if i % 2 == 0 else expression(p, where) for i, p in enumerate(parts)]}

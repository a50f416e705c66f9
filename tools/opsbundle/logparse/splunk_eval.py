"""The part of Splunk's search language the splunk bundle ships, emulated:
`EVAL-<field> = <expression>` in props.conf, and the index-time timestamp
(`TIME_PREFIX`, `TIME_FORMAT`, `MAX_TIMESTAMP_LOOKAHEAD`) that `_time` comes
from. Splunk does not run here; this interpreter executes exactly the
directives the bundle ships and refuses anything else with the reason, so a
broken EVAL fails the suite.

Supported, as Splunk documents them: string literals ("..."), numbers, field
names, `.` (concatenation), `+ - * /`, `== != < > <= >=`, `AND OR NOT`,
parentheses, and the functions in FUNCTIONS. A null operand makes arithmetic,
concatenation and comparisons null, as in Splunk. Regular expressions
(`replace`) are PCRE2's. Time zone: the search user's and the indexer's are
UTC here (the bundle README says so).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:\\.|[^"\\])*")|(?P<number>\d+(?:\.\d+)?)
      |(?P<op>==|!=|<=|>=|[-+*/.<>(),])|(?P<name>[A-Za-z_][\w]*))""",
    re.X,
)


class EvalError(Exception):
    """An EVAL expression this interpreter (and so the bundle) cannot run."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise EvalError(f"unexpected {text[pos : pos + 20]!r}")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "name" and value.upper() in ("AND", "OR", "NOT"):
            kind, value = "op", value.upper()
        out.append((kind, value))
        pos = m.end()
    out.append(("end", ""))
    return out


def _unquote(literal: str) -> str:
    # \" and \\ are escapes; any other backslash stays (regular expressions)
    return re.sub(r'\\(["\\])', r"\1", literal[1:-1])


_PRECEDENCE = {"OR": 1, "AND": 2, "==": 4, "!=": 4, "<": 4, ">": 4, "<=": 4, ">=": 4,
               "+": 5, "-": 5, ".": 5, "*": 6, "/": 6}  # fmt: skip


class _Parser:
    def __init__(self, text: str):
        self.tokens, self.i = _tokens(text), 0

    def peek(self):
        return self.tokens[self.i]

    def take(self, value: str | None = None):
        tok = self.tokens[self.i]
        if value is not None and tok[1] != value:
            raise EvalError(f"expected {value!r}, found {tok[1] or 'the end'!r}")
        self.i += 1
        return tok

    def expression(self, level: int = 0):
        left = self.unary()
        while True:
            kind, op = self.peek()
            if kind != "op" or op not in _PRECEDENCE or _PRECEDENCE[op] <= level:
                return left
            self.take()
            left = ("op", op, left, self.expression(_PRECEDENCE[op]))

    def unary(self):
        kind, value = self.take()
        if kind == "op" and value == "NOT":
            return ("not", self.expression(3))
        if kind == "op" and value == "-":
            return ("op", "-", ("lit", 0), self.unary())
        if kind == "op" and value == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind == "string":
            return ("lit", _unquote(value))
        if kind == "number":
            return ("lit", float(value) if "." in value else int(value))
        if kind == "name":
            if self.peek()[1] == "(":
                self.take("(")
                args = []
                while self.peek()[1] != ")":
                    args.append(self.expression())
                    if self.peek()[1] == ",":
                        self.take(",")
                self.take(")")
                if value not in FUNCTIONS:
                    raise EvalError(f"function {value}() is not one the bundle may use")
                return ("call", value, args)
            return ("field", value)
        raise EvalError(f"unexpected {value or 'end'!r}")


def compile_eval(text: str):
    """The parsed expression; EvalError when it is not one this interpreter runs."""
    parser = _Parser(text)
    tree = parser.expression()
    if parser.peek()[0] != "end":
        raise EvalError(f"unexpected {parser.peek()[1]!r} after the expression")
    return tree


def _number(value):
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return None


def _arith(op: str, a, b):
    if op == ".":
        return None if a is None or b is None else f"{_text(a)}{_text(b)}"
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return None
    if op == "/":
        if y == 0:
            return None
        q = x / y
        return int(q) if q == int(q) and isinstance(x, int) and x % y == 0 else q
    return {"+": x + y, "-": x - y, "*": x * y}[op]


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(op: str, a, b):
    if a is None or b is None:
        return None
    x, y = _number(a), _number(b)
    if x is None or y is None:
        x, y = _text(a), _text(b)
    return {"==": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def _replace(value, regex, replacement):
    import pcre2

    if value is None:
        return None
    try:
        compiled = pcre2.compile(regex)
    except Exception as exc:
        raise EvalError(f"replace(): PCRE2 rejects {regex!r}: {exc}") from None
    return compiled.sub(_text(replacement), _text(value))  # \1 back-references, as Splunk


def _strftime(when, fmt):
    t = _number(when)
    if t is None or fmt is None:
        return None
    moment = datetime.fromtimestamp(t, UTC)
    micros = f"{moment.microsecond:06d}"
    fmt = fmt.replace("%3N", micros[:3]).replace("%6N", micros).replace("%N", micros)
    return moment.strftime(fmt)


FUNCTIONS = {
    "if": None, "case": None, "coalesce": None,  # lazy, handled in _eval
    "isnull": lambda v: v is None,
    "isnotnull": lambda v: v is not None,
    "null": lambda: None,
    "true": lambda: True,
    "false": lambda: False,
    "lower": lambda v: None if v is None else _text(v).lower(),
    "upper": lambda v: None if v is None else _text(v).upper(),
    "tonumber": lambda v: _number(v),
    "tostring": lambda v: None if v is None else _text(v),
    "replace": _replace,
    "strftime": _strftime,
}  # fmt: skip


def _eval(tree, fields: dict):
    kind = tree[0]
    if kind == "lit":
        return tree[1]
    if kind == "field":
        return fields.get(tree[1])
    if kind == "not":
        value = _eval(tree[1], fields)
        return None if value is None else not value
    if kind == "op":
        op, left = tree[1], _eval(tree[2], fields)
        if op in ("AND", "OR"):
            if op == "OR" and left:
                return True
            if op == "AND" and not left:
                return False
            return bool(_eval(tree[3], fields))
        right = _eval(tree[3], fields)
        if op in ("==", "!=", "<", ">", "<=", ">="):
            return _compare(op, left, right)
        return _arith(op, left, right)
    name, args = tree[1], tree[2]
    if name == "if":
        if len(args) != 3:
            raise EvalError("if() takes 3 arguments")
        return _eval(args[1] if _eval(args[0], fields) else args[2], fields)
    if name == "case":
        if len(args) % 2:
            raise EvalError("case() takes condition, value pairs")
        for cond, value in zip(args[::2], args[1::2], strict=True):
            if _eval(cond, fields):
                return _eval(value, fields)
        return None
    if name == "coalesce":
        for arg in args:
            value = _eval(arg, fields)
            if value is not None:
                return value
        return None
    values = [_eval(a, fields) for a in args]
    try:
        return FUNCTIONS[name](*values)
    except TypeError:
        raise EvalError(f"{name}() does not take {len(values)} argument(s)") from None


def run_evals(evals: dict, fields: dict) -> dict:
    """Every EVAL on the fields as extracted (Splunk computes them side by
    side: none sees another's result); a null result removes the field."""
    results = {name: _eval(tree, fields) for name, tree in evals.items()}
    out = dict(fields)
    for name, value in results.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


# ---- index time: _time from TIME_PREFIX / TIME_FORMAT ------------------------

_DIRECTIVES = {
    "%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{2})", "%d": r"(?P<d>\d{2})",
    "%e": r"\s?(?P<d>\d{1,2})", "%H": r"(?P<H>\d{2})", "%k": r"\s?(?P<H>\d{1,2})",
    "%M": r"(?P<M>\d{2})", "%S": r"(?P<S>\d{2})", "%3N": r"(?P<f>\d{3})",
    "%6N": r"(?P<f>\d{6})", "%N": r"(?P<f>\d+)", "%b": r"(?P<b>[A-Za-z]{3})",
    "%z": r"(?P<z>[+-]\d{4}|Z)", "%:z": r"(?P<z>[+-]\d{2}:\d{2}|Z)",
}  # fmt: skip
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def time_parser(fmt: str):
    """A compiled TIME_FORMAT; EvalError for a directive not emulated."""
    parts, pos = [], 0
    for m in re.finditer(r"%:?\d?[A-Za-z]", fmt):
        parts.append(re.escape(fmt[pos : m.start()]).replace(r"\ ", r"\s+"))
        if m.group() not in _DIRECTIVES:
            raise EvalError(f"TIME_FORMAT directive {m.group()} is not emulated")
        parts.append(_DIRECTIVES[m.group()])
        pos = m.end()
    parts.append(re.escape(fmt[pos:]).replace(r"\ ", r"\s+"))
    return re.compile("".join(parts))


def event_time(text: str, prefix, parser, lookahead: int) -> float | None:
    """`_time` of an event, or None when its timestamp is not found."""
    start = 0
    if prefix is not None:
        m = prefix.search(text)
        if m is None:
            return None
        start = m.end()
    m = parser.match(text[start : start + lookahead])
    if m is None:
        return None
    g = m.groupdict()
    month = int(g["m"]) if g.get("m") else _MONTHS.get((g.get("b") or "").lower(), 0)
    fraction = float(f"0.{g['f']}") if g.get("f") else 0.0
    zone = g.get("z") or "+00:00"  # no offset printed: the indexer's zone, UTC here
    zone = "+00:00" if zone == "Z" else zone
    if ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    stamp = f"{g['Y']}-{month:02d}-{int(g['d']):02d}T{int(g['H']):02d}:{g['M']}:{g['S']}{zone}"
    try:
        return datetime.fromisoformat(stamp).timestamp() + fraction
    except ValueError:
        return None

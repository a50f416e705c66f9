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

import functools
import operator
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
    """The expression as a function of the event's fields (closures over the
    parsed tree, built once, as Splunk compiles a props.conf EVAL once);
    EvalError when it is not one this interpreter runs."""
    parser = _Parser(text)
    tree = parser.expression()
    if parser.peek()[0] != "end":
        raise EvalError(f"unexpected {parser.peek()[1]!r} after the expression")
    return _closure(tree)


# what float() takes beside digits: a word that is one of these, else not a number
_FLOAT_WORDS = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan"}


def _number(value):
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if value[:1].isalpha() and value.strip().lower() not in _FLOAT_WORDS:
        return None  # what int() and float() refuse, without their exceptions
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


_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt,
            "<=": operator.le, ">=": operator.ge}  # fmt: skip


def _compare(op: str, a, b):
    if a is None or b is None:
        return None
    x, y = _number(a), _number(b)
    if x is None or y is None:
        x, y = _text(a), _text(b)
    return _COMPARE[op](x, y)


@functools.lru_cache(maxsize=256)
def _pcre2(regex: str):
    import pcre2

    try:
        return pcre2.compile(regex)
    except Exception as exc:
        raise EvalError(f"replace(): PCRE2 rejects {regex!r}: {exc}") from None


def _replace(value, regex, replacement):
    if value is None:
        return None
    return _pcre2(regex).sub(_text(replacement), _text(value))  # \1 back-references, as Splunk


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


def _call(name: str, fn, args: list):
    """A call of `fn` on its arguments' values; one or two arguments (every
    call the bundle ships) without a list per call."""
    wrong = f"{name}() does not take {len(args)} argument(s)"
    if len(args) == 1:
        (only,) = args

        def call1(fields):
            try:
                return fn(only(fields))
            except TypeError:
                raise EvalError(wrong) from None

        return call1
    if len(args) == 2:
        first, second = args

        def call2(fields):
            try:
                return fn(first(fields), second(fields))
            except TypeError:
                raise EvalError(wrong) from None

        return call2

    def call(fields):
        values = [a(fields) for a in args]
        try:
            return fn(*values)
        except TypeError:
            raise EvalError(wrong) from None

    return call


def _alternatives(tree) -> list:
    """The operands of a chain of ORs (a OR b OR c parses as (a OR b) OR c)."""
    if tree[0] == "op" and tree[1] == "OR":
        return _alternatives(tree[2]) + _alternatives(tree[3])
    return [tree]


def _one_of(tree):
    """`x == "a" OR x == "b" OR ...` with one expression x and words that are
    not numbers (EVAL-level's case() maps each program's level words so) as
    one set lookup, x computed once: the same result as the chain (true when
    one comparison is; false when none is or x is null), as every expression
    here is free of side effects. None when the chain is not of that form."""
    operands = _alternatives(tree)
    subject = operands[0][2] if operands[0][0] == "op" else None
    words = set()
    for node in operands:
        if node[0] != "op" or node[1] != "==" or node[2] != subject or node[3][0] != "lit":
            return None
        word = node[3][1]
        if not isinstance(word, str) or _number(word) is not None:
            return None
        words.add(word)
    value = _closure(subject)
    frozen = frozenset(words)

    def one_of(fields):
        found = value(fields)
        return found is not None and _text(found) in frozen

    return one_of


def _closure(tree):
    """`tree` as a function of the fields, with _eval's meaning."""
    kind = tree[0]
    if kind == "lit":
        value = tree[1]
        return lambda fields: value
    if kind == "field":
        name = tree[1]
        return lambda fields: fields.get(name)
    if kind == "not":
        inner = _closure(tree[1])

        def negated(fields):
            value = inner(fields)
            return None if value is None else not value

        return negated
    if kind == "op":
        one_of = _one_of(tree) if tree[1] == "OR" else None
        if one_of is not None:
            return one_of
        op, left, right = tree[1], _closure(tree[2]), _closure(tree[3])
        if op == "OR":
            return lambda fields: True if left(fields) else bool(right(fields))
        if op == "AND":
            return lambda fields: bool(right(fields)) if left(fields) else False
        if op in _COMPARE and tree[3][0] == "lit" and tree[3][1] is not None:
            return _compare_literal(op, left, tree[3][1])
        if op in _COMPARE:
            return lambda fields: _compare(op, left(fields), right(fields))
        return lambda fields: _arith(op, left(fields), right(fields))
    name, args = tree[1], [_closure(a) for a in tree[2]]
    if name == "if":
        if len(args) != 3:
            return _refuse("if() takes 3 arguments")
        cond, then, otherwise = args
        return lambda fields: then(fields) if cond(fields) else otherwise(fields)
    if name == "case":
        if len(args) % 2:
            return _refuse("case() takes condition, value pairs")
        pairs = list(zip(args[::2], args[1::2], strict=True))

        def case(fields):
            for condition, value in pairs:
                if condition(fields):
                    return value(fields)
            return None

        return case
    if name == "coalesce":

        def coalesce(fields):
            for a in args:
                value = a(fields)
                if value is not None:
                    return value
            return None

        return coalesce
    return _call(name, FUNCTIONS[name], args)


def _compare_literal(op: str, left, literal):
    """`left op "literal"`: _compare with the literal's number and text known."""
    compare, number, text = _COMPARE[op], _number(literal), _text(literal)

    def compared(fields):
        a = left(fields)
        if a is None:
            return None
        x = _number(a) if number is not None else None
        return compare(_text(a), text) if x is None else compare(x, number)

    return compared


def _refuse(why: str):
    def refused(fields):
        raise EvalError(why)

    return refused


def run_evals(evals: dict, fields: dict) -> dict:
    """Every EVAL on the fields as extracted (Splunk computes them side by
    side: none sees another's result); a null result removes the field."""
    results = {name: compiled(fields) for name, compiled in evals.items()}
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


# whole seconds of the timestamps seen, by their text without the fraction
# (and the year, when none is printed): the events of one second share them,
# as a log has many events a second; bounded, emptied when full
_SECONDS: dict = {}
_SECONDS_MAX = 4096


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
    names = parser.groupindex
    digits = m.group("f") if "f" in names else None
    if digits:
        key = m.string[m.start() : m.start("f")] + m.string[m.end("f") : m.end()]
    else:
        key = m.group()
    year = m.group("Y") if "Y" in names else None
    # no year printed (dnsmasq, syslog): Splunk takes the current one
    year = year or str(datetime.now(UTC).year)
    seconds = _SECONDS.get((key, year), _SECONDS)
    if seconds is _SECONDS:
        seconds = _whole_seconds(m.groupdict(), year)
        if len(_SECONDS) >= _SECONDS_MAX:
            _SECONDS.clear()
        _SECONDS[(key, year)] = seconds
    if seconds is None:
        return None
    return seconds + (float(f"0.{digits}") if digits else 0.0)


def _whole_seconds(g: dict, year: str) -> float | None:
    """The timestamp's fields to seconds since the epoch, its fraction left out."""
    month = int(g["m"]) if g.get("m") else _MONTHS.get((g.get("b") or "").lower(), 0)
    zone = g.get("z") or "+00:00"  # no offset printed: the indexer's zone, UTC here
    zone = "+00:00" if zone == "Z" else zone
    if ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    stamp = f"{year}-{month:02d}-{int(g['d']):02d}T{int(g['H']):02d}:{g['M']}:{g['S']}{zone}"
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None

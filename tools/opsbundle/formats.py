"""Parameter formats: what a value a deployment tool supplies may hold.

Every `str` parameter (and every list or map holding strings) declares a
`format`; render, build, parse and the manifest checks all ask this module,
so the rule and the example of a good value live here and nowhere else.

Two rules hold for every format, free text included: no control character
(newline, tab, NUL, ESC...), no line or paragraph separator (U+2028, U+2029),
no lone surrogate and no bidirectional override. A newline is how a value
becomes a new directive in nearly every config language, so none may hold one.

Only `text` may hold the characters config languages and shells give a
meaning to: quotes, `$`, `%`, `#{`, backticks, `;`, backslash. Every other
format is built from characters that mean nothing anywhere we write, so a
template may place such a value as it stands; a `text` value (and a secret)
reaches a file only through the escape filter of that file's language
(`escape/`).
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

TEXT = "text"
# Characters (and one pair) only `text` may hold.
TEXT_ONLY = ("'", '"', "`", "$", "%", ";", "\\", "#{")
# Bidirectional embeddings, overrides and isolates: text that reads unlike it parses.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
VOCABULARIES = ("services", "roles")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]*")
_EMAIL = re.compile(r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@(.+)")
_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w|y))+")
_PATH_CHARS = re.compile(r"[A-Za-z0-9._/+@=,:-]+")
# RFC 3986 without `%`, `'`, `;`, `$`, `!` (a nagios argument separator),
# `#` (a comment in half our languages), `(`, `)` and `*`.
_URL_CHARS = re.compile(r"[A-Za-z0-9._~:/?\[\]@&=+,-]+")
_MAILBOX = re.compile(r"([^<>@]*[^\s<>@]) <([^<>\s]+)>")
_NAME_CHARS = re.compile(r"[\w .,()-]+")


class FormatError(ValueError):
    """A format declaration that cannot be used (unknown name, bad arguments)."""


@dataclass(frozen=True)
class Format:
    name: str
    rule: str  # what a good value is, said once: "a host name or an IP address"
    example: str
    check: Callable[[str, Mapping, Mapping], str | None]
    args: frozenset = frozenset()
    required: frozenset = frozenset()
    max_length: int = 255
    ints: bool = False  # also applies to int values (port)


def _hostname(value: str, spec, vocab) -> str | None:
    if len(value) > 253 or not _HOSTNAME.fullmatch(value):
        return "is not a host name (letters, digits and '-' in dot-separated labels)"
    if value.rstrip(".").rsplit(".", 1)[-1].isdigit():
        return "is not a host name (the last label is all digits)"
    return None


def _host(value: str, spec, vocab) -> str | None:
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    if _hostname(value, spec, vocab) is None:
        return None
    return "is neither a host name nor an IP address"


def _port(value, spec, vocab) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[1-9][0-9]{0,4}", value):
        number = int(value)
    else:
        return "is not a port number (1-65535, no leading zero)"
    return None if 1 <= number <= 65535 else "is not a port number (1-65535)"


def _hostport(value: str, spec, vocab) -> str | None:
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([^:]+)|([^:\[\]]+):([^:]+)", value)
    if not m:
        return "is not host:port (an IPv6 address goes in brackets: [2001:db8::1]:25)"
    host, port = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    if m.group(1):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has no IPv6 address between its brackets"
    elif _host(host, spec, vocab):
        return f"has {host!r}, which is neither a host name nor an IP address"
    return _port(port, spec, vocab)


def _url(value: str, spec, vocab) -> str | None:
    schemes = spec.get("schemes") or ["http", "https"]
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in schemes:
        return f"is not a URL starting with {' or '.join(s + '://' for s in schemes)}"
    if not _URL_CHARS.fullmatch(rest):
        return "holds a character a URL of this kind may not (no %, quote, ;, $, !, # or space)"
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    hostport = authority.rpartition("@")[2]
    if not hostport:
        return "has no host"
    if hostport.startswith("["):
        inner, _, after = hostport[1:].partition("]")
        host, port = inner, after[1:] if after.startswith(":") else (None if not after else "x")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has no IPv6 address between its brackets"
    else:
        host, _, port = hostport.partition(":")
        if _host(host, spec, vocab):
            return f"has host {host!r}, which is neither a host name nor an IP address"
        port = port or None
    if port is not None and _port(port, spec, vocab):
        return f"has port {port!r}, which is not 1-65535"
    return None


def _path(value: str, spec, vocab) -> str | None:
    if not value.startswith("/"):
        return "is not an absolute path"
    if not _PATH_CHARS.fullmatch(value):
        return "holds a character a path here may not (letters, digits and . _ / + @ = , : -)"
    parts = value.split("/")[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]  # a trailing slash names a folder (or a URL path)
    if any(p in ("", ".", "..") for p in parts):
        return "is not normalised (no '.', '..' or '//')"
    return None


def _identifier(value: str, spec, vocab) -> str | None:
    if not _IDENTIFIER.fullmatch(value):
        return "is not an identifier (letters, digits and _ . @ + -, not starting with . @ + -)"
    return None


def _email(value: str, spec, vocab) -> str | None:
    m = _EMAIL.fullmatch(value)
    if not m or _hostname(m.group(2), spec, vocab) or "." not in m.group(2):
        return "is not an e-mail address (user@example.org)"
    return None


def _mailbox(value: str, spec, vocab) -> str | None:
    m = _MAILBOX.fullmatch(value)
    if not m or not _NAME_CHARS.fullmatch(m.group(1)) or _email(m.group(2), spec, vocab):
        return "is not 'Name <user@example.org>' (the name: letters, digits, space . , ( ) -)"
    return None


def _duration(value: str, spec, vocab) -> str | None:
    if not _DURATION.fullmatch(value):
        return "is not a duration (digits and a unit: ms, s, m, h, d, w, y; e.g. 1h30m)"
    return None


def _enum(value: str, spec, vocab) -> str | None:
    choices = [str(c) for c in spec.get("choices") or []]
    if value in choices:
        return None
    return f"must be one of {', '.join(choices)}{_did_you_mean(value, choices)}"


def _pattern(value: str, spec, vocab) -> str | None:
    if any(t in value for t in TEXT_ONLY) or re.search(r"\s", value):
        return "holds a space, a quote, or one of $ % ; ` \\ #{, which only text may hold"
    if not re.fullmatch(spec["pattern"], value):
        return f"does not match {spec['pattern']}"
    return None


def _vocabulary(value: str, spec, vocab) -> str | None:
    name = spec.get("vocabulary")
    words = list(vocab.get(name) or []) if vocab else []
    if not words:
        return _identifier(value, spec, vocab)
    if value in words:
        return None
    kind = name[:-1] if name.endswith("s") else name
    hint = _did_you_mean(value, words) or f" (known: {', '.join(sorted(words))})"
    return f"is not a {kind} of interfaces/vocabulary.yaml{hint}"


def _text(value: str, spec, vocab) -> str | None:
    return None


def _did_you_mean(value: str, words) -> str:
    close = difflib.get_close_matches(value, [str(w) for w in words], n=1)
    return f" (did you mean {close[0]}?)" if close else ""


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("hostname", "a host name", "logs.example.org", _hostname),
        Format("host", "a host name or an IP address", "logs.example.org", _host),
        Format("hostport", "host:port", "smtp.example.org:25", _hostport),
        Format("port", "a port number", "6514", _port, ints=True),
        Format(
            "url",
            "a URL",
            "https://api.example.org:5000/v3",
            _url,
            args=frozenset({"schemes"}),
            max_length=2048,
        ),
        Format(
            "path",
            "an absolute, normalised path",
            "/etc/ssl/certs/ca-certificates.crt",
            _path,
            max_length=4096,
        ),
        Format("identifier", "an identifier", "openstack-logs", _identifier),
        Format("email", "an e-mail address", "cloud-ops@example.org", _email),
        Format(
            "mailbox",
            "a name and e-mail address",
            "OpenStack packagers <packagers@example.org>",
            _mailbox,
        ),
        Format("duration", "a duration", "5m", _duration),
        Format(
            "enum",
            "one of the choices",
            "",
            _enum,
            args=frozenset({"choices"}),
            required=frozenset({"choices"}),
        ),
        Format(
            "pattern",
            "a value matching the pattern",
            "",
            _pattern,
            args=frozenset({"pattern"}),
            required=frozenset({"pattern"}),
        ),
        Format(
            "vocabulary",
            "a word of interfaces/vocabulary.yaml",
            "keystone",
            _vocabulary,
            args=frozenset({"vocabulary"}),
            required=frozenset({"vocabulary"}),
        ),
        Format(TEXT, "free text on one line", "any text, quotes included", _text, max_length=4096),
    )
}
# Keys of a parameter's spec that belong to its format.
ARGUMENTS = frozenset({"format"} | {a for f in FORMATS.values() for a in f.args})


def character_problem(value: str) -> str | None:
    """The rule every format shares; None when the value keeps it."""
    for i, ch in enumerate(value):
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI:
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            return f"holds a control character ({name} at offset {i})"
    return None


@dataclass(frozen=True)
class Problem:
    """One bad part of a value: where inside it (a key path), and why."""

    keypath: tuple
    message: str
    shown: str = field(default="")


def declaration_problems(spec: Mapping, kind: str | None) -> list[str]:
    """Why the `format` a parameter declares cannot be used (empty when fine)."""
    name = spec.get("format")
    if name is None:
        return []
    fmt = FORMATS.get(name) if isinstance(name, str) else None
    if fmt is None:
        return [f"unknown format {name!r} (known: {', '.join(sorted(FORMATS))})"]
    problems = []
    if kind == "int" and not fmt.ints:
        problems.append(f"format {name} is for strings; an int parameter may only be a port")
    elif kind in ("bool", "float"):
        problems.append(f"a {kind} parameter takes no format")
    for arg in sorted(fmt.required - spec.keys()):
        problems.append(f"format {name} needs '{arg}'")
    for arg in sorted((ARGUMENTS - {"format"} - fmt.args) & spec.keys()):
        problems.append(f"'{arg}' belongs to another format than {name}")
    if "choices" in spec and name == "enum":
        choices = spec["choices"]
        if not isinstance(choices, list) or not choices:
            problems.append("choices must be a non-empty list")
        else:
            for c in choices:
                plain = isinstance(c, str) and not character_problem(c)
                if not plain or _pattern(c, {"pattern": ".+"}, {}):
                    problems.append(f"choice {c!r} is not a plain word")
    if "pattern" in spec and name == "pattern":
        try:
            re.compile(str(spec["pattern"]))
        except re.error as exc:
            problems.append(f"pattern does not compile: {exc}")
    if "schemes" in spec and name == "url":
        schemes = spec["schemes"]
        if not isinstance(schemes, list) or not all(
            isinstance(s, str) and re.fullmatch(r"[a-z][a-z0-9+.-]*", s) for s in schemes
        ):
            problems.append("schemes must be a list of URL schemes such as https")
    if "vocabulary" in spec and name == "vocabulary" and spec["vocabulary"] not in VOCABULARIES:
        problems.append(f"vocabulary must be one of {', '.join(VOCABULARIES)}")
    return problems


def check_string(value: str, spec: Mapping, vocab: Mapping | None = None) -> str | None:
    """Why one string breaks the parameter's format; None when it is good."""
    fmt = FORMATS.get(spec.get("format"))
    if fmt is None:
        return "this parameter declares no format, so it takes no strings"
    problem = character_problem(value)
    if problem:
        return problem
    if len(value) > fmt.max_length:
        return f"is {len(value)} characters long, over the {fmt.max_length} a {fmt.name} may be"
    if value == "":
        return "is empty" if fmt.name != TEXT else None
    return fmt.check(value, spec, vocab or {})


def check_value(value, spec: Mapping, vocab: Mapping | None = None) -> list[Problem]:
    """Every bad part of a value of any type: strings (in lists and maps too)
    by the format, map keys as identifiers, numbers finite, ints by a port
    format when declared."""
    problems: list[Problem] = []
    stack: list[tuple[tuple, object]] = [((), value)]
    while stack:
        keypath, item = stack.pop()
        if isinstance(item, str):
            why = check_string(item, spec, vocab)
            if why:
                problems.append(Problem(keypath, why, item))
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            fmt = FORMATS.get(spec.get("format"))
            if fmt is not None and fmt.ints:
                why = fmt.check(item, spec, vocab or {})
                if why:
                    problems.append(Problem(keypath, why, str(item)))
        elif isinstance(item, float):
            if not math.isfinite(item):
                problems.append(Problem(keypath, "is not a finite number", str(item)))
        elif isinstance(item, list):
            stack.extend((keypath + (i,), v) for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, dict):
            for k, v in reversed(list(item.items())):
                key_problem = (
                    _identifier(k, spec, vocab) or character_problem(k)
                    if isinstance(k, str)
                    else "is not a string"
                )
                if key_problem:
                    problems.append(Problem(keypath + (k,), f"key {key_problem}", str(k)))
                stack.append((keypath + (k,), v))
        else:
            problems.append(Problem(keypath, f"is a {type(item).__name__}", str(item)))
    return problems


def example(spec: Mapping) -> str:
    """A good value for the parameter: its own example when it is a string, else
    the format's (the first choice of an enum)."""
    if spec.get("secret"):
        return FORMATS[TEXT].example
    own = spec.get("example", spec.get("default"))
    if isinstance(own, list) and own:
        own = own[0]
    if isinstance(own, str | int) and not isinstance(own, bool) and own != "":
        return str(own)
    fmt = FORMATS.get(spec.get("format"))
    if fmt is None:
        return ""
    if fmt.name == "enum":
        return str((spec.get("choices") or [""])[0])
    return fmt.example


def describe(spec: Mapping) -> str:
    """'host (a host name or an IP address)', for messages."""
    fmt = FORMATS.get(spec.get("format"))
    if fmt is None:
        return "no format"
    if fmt.name == "url" and spec.get("schemes"):
        return f"url ({'/'.join(spec['schemes'])})"
    if fmt.name == "vocabulary":
        return f"vocabulary ({spec.get('vocabulary')})"
    return f"{fmt.name} ({fmt.rule})"


def holds_strings(spec: Mapping) -> bool:
    """Whether a parameter of this spec takes strings and so needs a format:
    a str, or a list or map whose default or example holds one."""
    kind = spec.get("type", "str")
    if kind == "str":
        return True
    if kind not in ("list", "map"):
        return False
    stack = [spec.get("default"), spec.get("example")]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            return True
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def is_free_text(spec: Mapping) -> bool:
    """Values that may hold what a config language interprets: they must pass
    through that language's escape filter."""
    return spec.get("format") == TEXT or bool(spec.get("secret"))

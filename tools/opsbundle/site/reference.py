"""The formats page: what a value of each parameter format may be, and how
free text is escaped in each config language a bundle's files are written in.

Read from the modules that enforce them (formats.FORMATS, escape.LANGUAGES):
the page says what the render checks, because it is the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import escape, formats


@dataclass
class FormatRow:
    name: str
    rule: str
    example: str
    arguments: list[str]
    max_length: int
    ints: bool


@dataclass
class Language:
    name: str
    filters: list[tuple[str, str]] = field(default_factory=list)  # (filter, how to use it)

    @property
    def free_text(self) -> bool:
        return bool(self.filters)


def _first_line(doc: str | None) -> str:
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else ""


def format_rows() -> list[FormatRow]:
    return [
        FormatRow(f.name, f.rule, f.example, sorted(f.args), f.max_length, f.ints)
        for f in formats.FORMATS.values()
    ]


def languages() -> list[Language]:
    out = []
    for name in escape.known():
        table = escape.LANGUAGES.get(name, {})
        out.append(Language(name, [(n, _first_line(fn.__doc__)) for n, fn in table.items()]))
    return out


def described(spec: dict) -> str:
    """'host (a host name or an IP address)', as validation says it."""
    return formats.describe(spec) if spec.get("format") in formats.FORMATS else ""


TEXT = formats.TEXT
TEXT_ONLY = formats.TEXT_ONLY

"""What every escape filter shares: a value is a string without control
characters (the formats refuse them; a template may still compute one)."""

from __future__ import annotations

from ..formats import character_problem


class EscapeError(ValueError):
    """The value cannot be written in this language at all."""


def plain(value, language: str) -> str:
    """`value` as a string, refused when it holds a control character."""
    if isinstance(value, bool) or value is None:
        raise EscapeError(f"{language}: {value!r} is not text")
    text = str(value)
    problem = character_problem(text)
    if problem:
        raise EscapeError(f"{language}: the value {problem}")
    return text


def unpadded(text: str, language: str) -> str:
    """Refuse leading or trailing whitespace where the language drops it."""
    if text != text.strip():
        raise EscapeError(f"{language}: leading or trailing spaces would be dropped")
    return text

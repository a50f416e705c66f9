"""POSIX shell: one single-quoted word. Inside '...' nothing is special but
the closing quote, so a quote is written '\\'' (close, escaped quote, reopen)."""

from __future__ import annotations

from .base import plain


def shell_sq(value) -> str:
    """A complete word: `OS_PASSWORD={{ password | shell_sq }}`."""
    return single_quoted(plain(value, "shell"))


def single_quoted(text: str) -> str:
    """The rule itself, for any text a shell word can hold (all but NUL),
    line breaks too: what our own scripts quote (engines/deb.py)."""
    return "'" + text.replace("'", "'\\''") + "'"


LANGUAGES = {"shell": {"shell_sq": shell_sq}}

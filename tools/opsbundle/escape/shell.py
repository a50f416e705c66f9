"""POSIX shell: one single-quoted word. Inside '...' nothing is special but
the closing quote, so a quote is written '\\'' (close, escaped quote, reopen)."""

from __future__ import annotations

from .base import plain


def shell_sq(value) -> str:
    """A complete word: `OS_PASSWORD={{ password | shell_sq }}`."""
    return "'" + plain(value, "shell").replace("'", "'\\''") + "'"


LANGUAGES = {"shell": {"shell_sq": shell_sq}}

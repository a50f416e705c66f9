"""Makefiles (debian/rules): make expands `$` everywhere (`$(shell ...)` runs
a command), so `$$` is a `$`; in a variable assignment `#` starts a comment
unless written `\\#`, and a backslash at the end of a line joins the next
line (GNU make has no escape for it: refused). Recipe lines then run through
/bin/sh."""

from __future__ import annotations

from .base import EscapeError, plain, unpadded


def make_value(value) -> str:
    """The right-hand side of an assignment: `X := {{ v | make_value }}`."""
    text = unpadded(plain(value, "make"), "make")
    if text.endswith("\\"):
        raise EscapeError("make: a trailing backslash would join the next line")
    return text.replace("$", "$$").replace("#", "\\#")


def make_shell(value) -> str:
    """One single-quoted shell word on a recipe line: `echo {{ v | make_shell }}`."""
    text = plain(value, "make")
    return ("'" + text.replace("'", "'\\''") + "'").replace("$", "$$")


LANGUAGES = {"make": {"make_value": make_value, "make_shell": make_shell}}

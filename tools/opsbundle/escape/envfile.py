"""Environment files read by systemd's EnvironmentFile= (systemd.exec(5)):
a "..."-quoted value follows the POSIX shell's double-quote rules, where a
backslash keeps the next `"`, `\\`, backtick or `$`; an unquoted value would
lose its backslashes and surrounding spaces."""

from __future__ import annotations

from .base import plain


def envfile_str(value) -> str:
    """A complete "..." value: `KEY={{ v | envfile_str }}`."""
    text = plain(value, "envfile")
    for ch in ("\\", '"', "`", "$"):
        text = text.replace(ch, "\\" + ch)
    return '"' + text + '"'


LANGUAGES = {"envfile": {"envfile_str": envfile_str}}

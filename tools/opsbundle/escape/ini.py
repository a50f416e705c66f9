"""oslo.config INI files: oslo.config interpolates `$name` and `${name}` in
values (`$$` is a `$`), and drops the spaces around a value."""

from __future__ import annotations

from .base import plain, unpadded


def ini_value(value) -> str:
    """`password = {{ secret | ini_value }}`."""
    return unpadded(plain(value, "ini"), "ini").replace("$", "$$")


LANGUAGES = {"ini": {"ini_value": ini_value}}

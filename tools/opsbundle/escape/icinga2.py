"""Icinga 2 DSL strings.

A "..." string takes `\\"` and `\\\\`; where icinga2 resolves runtime macros
(command arguments, env, and the custom variables they read) `$name$` is a
macro and `$$` a literal `$`. Our strings all reach commands, so the filter
doubles `$` too.
"""

from __future__ import annotations

from .base import plain


def icinga2_str(value) -> str:
    """A complete "..." string: `vars.user = {{ user | icinga2_str }}`."""
    text = plain(value, "icinga2")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$") + '"'


LANGUAGES = {"icinga2": {"icinga2_str": icinga2_str}}

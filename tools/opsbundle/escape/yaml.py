"""YAML scalars.

A JSON string is also a YAML double-quoted scalar (PyYAML, and Go's yaml.v2
and v3 that promtool, amtool and sensu read with, take `\\"`, `\\\\` and
`\\uXXXX` alike), so the JSON encoder writes one string scalar whatever the
value holds: `yes`, `1e3`, `null`, `#`, `: `, `{{`, `*alias`, `!tag`.
"""

from __future__ import annotations

import json

from .base import plain


def yaml_str(value) -> str:
    """A complete scalar: `password: {{ password | yaml_str }}`."""
    return json.dumps(plain(value, "yaml"), ensure_ascii=False)


LANGUAGES = {"yaml": {"yaml_str": yaml_str}}

"""JSON strings: json.dumps escapes `"`, `\\` and every control character."""

from __future__ import annotations

import json

from .base import plain


def json_str(value) -> str:
    """A complete "..." string: `"password": {{ secret | json_str }}`."""
    return json.dumps(plain(value, "json"), ensure_ascii=False)


LANGUAGES = {"json": {"json_str": json_str}}

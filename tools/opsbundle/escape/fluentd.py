"""fluentd (v1 config format) values.

fluentd's literal parser (lib/fluent/config/literal_parser.rb) evaluates
`#{...}` as Ruby inside a double-quoted value, and reads a value starting
with `[` or `{` as JSON. In a single-quoted value the only escapes are `\\'`
and `\\\\`; everything else, `#{` included, is kept as written. So free text
goes single-quoted.
"""

from __future__ import annotations

from .base import plain


def fluentd_str(value) -> str:
    """A complete '...' value: `password {{ secret | fluentd_str }}`."""
    text = plain(value, "fluentd")
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


LANGUAGES = {"fluentd": {"fluentd_str": fluentd_str}}

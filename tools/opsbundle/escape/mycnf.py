"""MySQL/MariaDB option files (my.cnf).

MariaDB's option reader ends an unquoted value at `#` (a comment may start
mid-line: `user=a#b` reads as `a`) and drops surrounding spaces; inside
"..." it reads `\\"` and `\\\\`. Checked with my_print_defaults (10.11).
"""

from __future__ import annotations

from .base import plain


def mycnf_value(value) -> str:
    """A complete "..." value: `password={{ secret | mycnf_value }}`."""
    text = plain(value, "mycnf")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


LANGUAGES = {"mycnf": {"mycnf_value": mycnf_value}}

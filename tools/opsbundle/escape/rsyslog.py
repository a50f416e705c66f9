"""rsyslog RainerScript string constants.

A double-quoted constant takes backslash escapes; rsyslogd (8.2302) refuses
an unescaped `$` inside double quotes ("$-sign in double quotes must be
escaped"), so `\\`, `\"` and `\\$` are the three escapes. Backtick constants
(`echo ...`, `cat ...`) run or read something at load time: we never write
them.
"""

from __future__ import annotations

from .base import plain


def rsyslog_str(value) -> str:
    """A complete "..." constant: `target={{ host | rsyslog_str }}`."""
    text = plain(value, "rsyslog")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


LANGUAGES = {"rsyslog": {"rsyslog_str": rsyslog_str}}

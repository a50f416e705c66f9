"""Splunk .conf values (inputs.conf, outputs.conf, ...).

A value runs from after `key =` to the end of the line; a line ending in a
backslash continues on the next one, and surrounding spaces are dropped.
There is no quoting: what a value may not hold is refused.
"""

from __future__ import annotations

from .base import EscapeError, plain, unpadded


def splunk_value(value) -> str:
    """`index = {{ name | splunk_value }}`."""
    text = unpadded(plain(value, "splunk"), "splunk")
    if text.endswith("\\"):
        raise EscapeError("splunk: a trailing backslash would continue the line")
    return text


LANGUAGES = {"splunk": {"splunk_value": splunk_value}}

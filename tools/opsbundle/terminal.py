"""Text that reaches a terminal or an XML report: a manifest, a value or an
engine's message may hold control characters, and ESC sequences in a
terminal can retitle the window, hide lines or rewrite what was printed
before. They are shown as visible escapes instead (`\\x1b`, `\\u202e`)."""

from __future__ import annotations

import re

# C0 and C1 controls but tab and newline, DEL, line/paragraph separators and
# bidirectional overrides (which make text read unlike its bytes).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# XML 1.0 cannot hold these at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _visible(m: re.Match) -> str:
    ch = m.group()
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def printable(text: str) -> str:
    """`text` with every control character but tab and newline made visible."""
    return _UNSAFE.sub(_visible, text)


def xml_safe(text: str) -> str:
    """`text` as XML 1.0 may hold it, the dropped characters made visible."""
    return _NOT_XML.sub(_visible, printable(text))

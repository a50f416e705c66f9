"""logstash pipeline strings.

The grammar (logstash-core config/grammar.treetop) reads "..." up to a `"`
not preceded by a backslash, and '...' likewise; with the default
`config.support_escapes: false` a backslash stays in the value as written.
So there is no escape: a value is quoted with the quote it does not hold,
and refused when it holds both, ends with a backslash (which would swallow
the closing quote), or holds `${` (logstash replaces `${VAR}` with the
environment, secrets included, anywhere in the file).
"""

from __future__ import annotations

from .base import EscapeError, plain


def logstash_str(value) -> str:
    """A complete string: `index => {{ name | logstash_str }}`."""
    text = plain(value, "logstash")
    if "${" in text:
        raise EscapeError("logstash: '${' would be replaced from the environment")
    if text.endswith("\\"):
        raise EscapeError("logstash: a trailing backslash would escape the closing quote")
    for quote in ('"', "'"):
        if quote not in text and f"\\{quote}" not in text:
            return quote + text + quote
    raise EscapeError("logstash: a string cannot hold both ' and \" (there is no escape)")


LANGUAGES = {"logstash": {"logstash_str": logstash_str}}

"""splunk's event breaking: LINE_BREAKER's first group is the break."""

import pcre2
from opsbundle.logparse import splunk


def test_breaks_only_before_a_record_start_and_drops_the_break():
    breaker = pcre2.compile(rb"([\r\n]+)(?=\d{4} )")
    text = b"2026 a\n  more\n\n2026 b\nTraceback\n2026 c"
    assert splunk._events(text, breaker) == ["2026 a\n  more", "2026 b\nTraceback", "2026 c"]


def test_default_breaker_gives_one_event_per_line_and_skips_blank_ones():
    breaker = pcre2.compile(rb"([\r\n]+)")
    assert splunk._events(b"x\n\ny\n", breaker) == ["x", "y"]


def test_non_ascii_survives_the_byte_split():
    breaker = pcre2.compile(rb"([\r\n]+)")
    assert splunk._events("é\nü".encode(), breaker) == ["é", "ü"]

"""splunk's event breaking: LINE_BREAKER's first group is the break, on a
file read a chunk at a time."""

import pcre2
import pytest
from opsbundle.logparse import splunk


def _events(tmp_path, text: bytes, breaker) -> list[str]:
    path = tmp_path / "x.log"
    path.write_bytes(text)
    return [e.decode() for e in splunk._events(path, breaker) if e.strip()]


def test_breaks_only_before_a_record_start_and_drops_the_break(tmp_path):
    breaker = pcre2.compile(rb"([\r\n]+)(?=\d{4} )")
    text = b"2026 a\n  more\n\n2026 b\nTraceback\n2026 c\n"
    want = ["2026 a\n  more", "2026 b\nTraceback", "2026 c"]
    assert _events(tmp_path, text, breaker) == want


def test_default_breaker_gives_one_event_per_line_and_skips_blank_ones(tmp_path):
    breaker = pcre2.compile(rb"([\r\n]+)")
    assert _events(tmp_path, b"x\n\ny\n", breaker) == ["x", "y"]


def test_non_ascii_survives_the_byte_split(tmp_path):
    breaker = pcre2.compile(rb"([\r\n]+)")
    assert _events(tmp_path, "é\nü".encode(), breaker) == ["é", "ü"]


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_chunk_boundaries_do_not_move_a_break(tmp_path, monkeypatch, chunk):
    """A lookahead breaker gives the same events however the file is read."""
    monkeypatch.setattr(splunk, "CHUNK", chunk)
    breaker = pcre2.compile(rb"([\r\n]+)(?=\d{4} )")
    text = b"2026 a\n  more\n2026 b\n2026 c\nTraceback\n  x\n2026 d"
    want = ["2026 a\n  more", "2026 b", "2026 c\nTraceback\n  x", "2026 d"]
    assert _events(tmp_path, text, breaker) == want

"""The fluentd config reader: sources, parse sections, regexp literals."""

from pathlib import Path

import pytest
from opsbundle.logparse import ParseError, Rendered, fluentd

CONF = """
<source>
  @type tail
  path /var/log/a/*.log,/var/log/b/*.log
  exclude_path ["/var/log/a/*access*.log"]
  <parse>
    @type multiline
    format_firstline /^\\d/
    format1 /(?<a>\\d+) /
    format2 /(?<b>.*)/
  </parse>
</source>
<source>
  @type tail
  path /var/log/c/*.log
  <parse>
    @type regexp
    expression /^(?<c>x)$/m
  </parse>
</source>
<match **>
  @type stdout
</match>
"""


def _read(tmp_path: Path, text: str):
    path = tmp_path / "f.conf"
    path.write_text(text)
    return fluentd.read(Rendered({"/etc/f.conf": path}, {"/etc/f.conf": "b/files/f.conf.j2"}))


def test_multiline_formats_are_joined_and_multiline(tmp_path):
    first, second = _read(tmp_path, CONF)
    assert first.globs == ["/var/log/a/*.log", "/var/log/b/*.log"]
    assert first.exclude == ["/var/log/a/*access*.log"]
    assert [r.source for r in first.starts] == ["^\\d"]
    pattern = first.extra["fluentd"]["parse"]["expression"]
    assert (pattern["source"], pattern["flags"]) == ("(?<a>\\d+) (?<b>.*)", "m")
    assert pattern["where"].endswith("(rendered /etc/f.conf):9")
    pattern = second.extra["fluentd"]["parse"]["expression"]
    assert (pattern["source"], pattern["flags"]) == ("^(?<c>x)$", "m")
    assert second.starts == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<source>\n  @type tail\n", "<source> at line 1 is not closed"),
        ("</parse>\n", ":1: unbalanced </parse>"),
        (CONF.replace("/^(?<c>x)$/m", "^(?<c>x)$"), "not a /regexp/ literal"),
        (CONF.replace("$/m\n", "$/m\n    emit_nothing true\n"), "'emit_nothing' is not emulated"),
        (CONF.replace("@type regexp", "@type json"), "parser @type 'json'"),
    ],
)
def test_errors_point_at_the_line(tmp_path, text, message):
    with pytest.raises(ParseError, match=message):
        _read(tmp_path, text)

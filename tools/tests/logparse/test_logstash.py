"""The logstash pipeline reader and the grok expansion."""

import pytest
from opsbundle.logparse import ParseError, logstash


def _read(text):
    return logstash._Reader(text, "p.conf").config()


def test_reads_plugins_hashes_arrays_and_codecs():
    conf = _read(
        """
        input { file { path => ["/a/*.log", "/b/*.log"]
                       codec => multiline { pattern => '^x' negate => true } } }
        filter { grok { match => { "message" => ['a', "b"] } } }  # comment
        """
    )
    (name, attrs, line) = conf["input"][0]
    assert (name, line) == ("file", 2)
    assert [p for p, _ in attrs["path"]] == ["/a/*.log", "/b/*.log"]
    assert attrs["codec"][0] == "multiline" and attrs["codec"][1]["negate"] == "true"
    assert [t for t, _ in conf["filter"][0][1]["match"]["message"]] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("input { file { path => } }", "p.conf:1: unexpected '}'"),
        ("filter {\n if [type] == 'x' { } }", "p.conf:2: only `if"),
        ("input { file { path => 'x' }", "unexpected end of file"),
        ("input { file { path => 'x' ~ } }", "p.conf:1: unexpected '~"),
    ],
)
def test_syntax_errors_name_the_line(text, message):
    with pytest.raises(ParseError, match=message):
        _read(text)


def test_grok_expands_named_and_unnamed_references():
    out = logstash.expand("%{POSINT:pid} %{WORD}", {}, "w")
    assert out == "(?<pid>\\b(?:[1-9][0-9]*)\\b) (?:\\b\\w+\\b)"


def test_grok_definitions_and_loops():
    assert logstash.expand("%{MINE:x}", {"MINE": "a+"}, "w") == "(?<x>a+)"
    with pytest.raises(ParseError, match="loop"):
        logstash.expand("%{A}", {"A": "%{B}", "B": "%{A}"}, "w")
    with pytest.raises(ParseError, match="unknown grok pattern %{NOPE}"):
        logstash.expand("%{NOPE}", {}, "w")

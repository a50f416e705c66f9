"""load.py: safe, bounded YAML reading; every hostile input is a finding, never a crash."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import bad_cases, check_bad_fixture, subprocess_env
from opsbundle import load
from opsbundle.load import MAX_BYTES, MAX_DEPTH, parse_yaml, read_yaml


def parse(text: str | bytes, expect: type = dict):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_yaml(raw, "t.yaml", expect)


def only(found: list):
    assert len(found) == 1, [f.as_text() for f in found]
    return found[0]


# --------------------------------------------------------------------------- happy path


def test_plain_document_reads_as_plain_data():
    doc, found = parse(
        textwrap.dedent(
            """\
            name: demo
            port: 8080
            ratio: 0.5
            enabled: true
            nothing: null
            released: 2026-01-15
            items: [a, b]
            nested: {k: v}
            """
        )
    )
    assert found == []
    assert doc.data == {
        "name": "demo",
        "port": 8080,
        "ratio": 0.5,
        "enabled": True,
        "nothing": None,
        "released": datetime.date(2026, 1, 15),
        "items": ["a", "b"],
        "nested": {"k": "v"},
    }
    assert doc.path == "t.yaml"


def test_utf8_bom_is_accepted():
    doc, found = parse(b"\xef\xbb\xbfname: caf\xc3\xa9\n")
    assert found == []
    assert doc.data == {"name": "caf\u00e9"}


def test_small_aliases_are_allowed_and_shared():
    doc, found = parse("base: &b [x, y]\ncopy: *b\n")
    assert found == []
    assert doc.data["copy"] == ["x", "y"]


def test_expect_list_accepts_a_list_and_refuses_a_mapping():
    doc, found = parse("- a\n- b\n", expect=list)
    assert found == [] and doc.data == ["a", "b"]
    doc, found = parse("a: 1\n", expect=list)
    assert doc is None
    assert only(found).code == "YML010"
    assert "must be a list, found a mapping" in found[0].message


# --------------------------------------------------------------------------- Document.mark


MARKED = textwrap.dedent(
    """\
    name: demo
    parameters:
      port:
        type: int
        default: 8080
    files:
    - source: a.conf
      dest: /etc/a.conf
    - source: b.conf
      dest: /etc/b.conf
    """
)


@pytest.mark.parametrize(
    ("keypath", "at_key", "where"),
    [
        (("name",), False, (1, 7)),
        (("parameters", "port", "default"), False, (5, 14)),
        (("parameters", "port"), True, (3, 3)),
        (("files", 1, "dest"), False, (10, 9)),
        (("files", "1", "source"), False, (9, 11)),
        # a missing key points at the deepest part that exists
        (("parameters", "port", "example"), False, (4, 5)),
        (("files", 7, "dest"), False, (7, 1)),
        ((), False, (1, 1)),
    ],
)
def test_mark_places_keypaths(keypath, at_key, where):
    doc, found = parse(MARKED)
    assert found == []
    assert doc.mark(keypath, at_key=at_key) == where


def test_finding_carries_the_mark_and_hint():
    doc, _ = parse(MARKED)
    f = doc.finding("PAR002", ("parameters", "port", "default"), "msg", hint="fix it")
    assert (f.code, f.path, f.line, f.col, f.message, f.hint) == (
        "PAR002",
        "t.yaml",
        5,
        14,
        "msg",
        "fix it",
    )


# --------------------------------------------------------------------------- hostile input


def test_tab_in_indentation_is_yml003_at_the_tab():
    found = parse("a:\n  b: 1\n\tc: 2\n")[1]
    f = only(found)
    assert (f.code, f.line, f.col) == ("YML003", 3, 1)
    found = parse("a:\n   \tb: 1\n")[1]
    assert (only(found).code, found[0].line, found[0].col) == ("YML003", 2, 4)


def test_tab_inside_a_value_is_fine():
    doc, found = parse("a: 'x\ty'\nb: 1\t# trailing\n")
    assert found == []
    assert doc.data == {"a": "x\ty", "b": 1}


def test_tab_as_content_of_a_block_scalar_is_valid_yaml():
    """BUG: a literal block scalar whose content line starts with a tab (after
    the block's own space indentation) is valid YAML - PyYAML reads it - but
    load.py's tab pre-check (_TAB_INDENT) reports YML003 for it."""
    text = "description: |\n  Example:\n  \tcommand --flag\nname: x\n"
    doc, found = parse(text)
    assert found == []
    assert doc.data == {"description": "Example:\n\tcommand --flag\n", "name": "x"}


def test_non_utf8_is_yml004_at_the_bad_byte():
    f = only(parse(b"a: 1\nb: caf\xe9\n")[1])
    assert (f.code, f.line, f.col) == ("YML004", 2, 7)
    assert "0xe9" in f.message


def test_non_utf8_on_first_line_after_multibyte_text():
    f = only(parse("x: \u00e9\u00e9".encode() + b"\xff\n")[1])
    # column counts bytes: 'x: ' is 3 bytes, each e-acute 2 bytes
    assert (f.code, f.line, f.col) == ("YML004", 1, 8)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another\n"])
def test_empty_or_comment_only_file_is_yml005(text):
    doc, found = parse(text)
    assert doc is None
    f = only(found)
    assert (f.code, f.line, f.col) == ("YML005", 1, 1)


def test_explicit_empty_document_is_not_a_mapping():
    doc, found = parse("---\n")
    assert doc is None
    assert only(found).code == "YML010"


def test_list_at_top_level_is_yml010():
    f = only(parse("# comment\n- a\n- b\n")[1])
    assert (f.code, f.line, f.col) == ("YML010", 2, 1)
    assert "must be a mapping, found a list" in f.message


def test_scalar_at_top_level_is_yml010():
    f = only(parse("just a string\n")[1])
    assert f.code == "YML010"
    assert "found a string" in f.message


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("a: 1\nb: !!python/object:os.system {}\n", 2, 4),
        ("a: !!python/object/apply:os.system ['echo pwned']\n", 1, 4),
        ("a: !!python/name:os.system ''\n", 1, 4),
        ("a: !custom 3\n", 1, 4),
        ("a: !!binary aGVsbG8=\n", 1, 4),
        ("!!omap\n- a: 1\n", 1, 1),
    ],
)
def test_language_and_custom_tags_are_yml006(text, line, col):
    f = only(parse(text)[1])
    assert (f.code, f.line, f.col) == ("YML006", line, col)
    assert "unsupported tag" in f.message


def test_alias_bomb_is_yml007_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, prev in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{i}: &{i} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    doc, found = parse("\n".join(lines) + "\n")
    elapsed = time.perf_counter() - start
    f = only(found)
    assert doc is None
    assert f.code == "YML007"
    assert f.line == 6  # 'f' is the first list to expand past MAX_NODES
    assert elapsed < 2.0


def test_recursive_alias_is_yml007():
    f = only(parse("a: &x [1, *x]\n")[1])
    assert f.code == "YML007"
    assert "recursive" in f.message
    assert f.line == 1


def test_depth_limit_boundary():
    ok = "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1)
    doc, found = parse(f"a: {ok}\n")  # mapping + 63 lists + scalar = 65 levels
    assert found and found[0].code == "YML008"
    fits = "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2)
    doc, found = parse(f"a: {fits}\n")
    assert found == []


def test_100_deep_nesting_is_yml008_with_a_line():
    text = "name: x\n" + "deep: " + "[" * 100 + "1" + "]" * 100 + "\n"
    f = only(parse(text)[1])
    assert (f.code, f.line) == ("YML008", 2)
    assert f"deeper than {MAX_DEPTH}" in f.message


def test_100_deep_block_nesting_is_yml008():
    text = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n"
    f = only(parse(text)[1])
    assert f.code == "YML008"


_DEEP_CHILD = """
import sys
from opsbundle.load import parse_yaml
unit, n = sys.argv[1], int(sys.argv[2])
raw = (unit * n + "x" + ("]" * n if unit == "[" else "") + "\\n").encode()
doc, found = parse_yaml(raw, "deep.yaml")
print(doc is None, *[f.code for f in found])
"""


def _deep_in_child(unit: str, n: int) -> subprocess.CompletedProcess:
    # a crash here is a segfault of the interpreter, so it runs in a child
    return subprocess.run(
        [sys.executable, "-c", _DEEP_CHILD, unit, str(n)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("unit", ["[", "- "])
def test_500000_deep_nesting_does_not_crash(unit):
    done = _deep_in_child(unit, 500_000)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "YML008"]


def test_deep_explicit_keys_do_not_crash():
    """BUG: 50,000 nested explicit-key indicators ('? ? ? ... x', 100 KB, far
    under MAX_BYTES) crash the interpreter with a segfault inside libyaml's
    recursive composer: load._nesting_bound counts '[', '{', '- ' and ': '
    but not '? ', so the file reaches libyaml. Expected: a finding
    (YML008, or YML001 for the non-scalar keys), exit status 0."""
    done = _deep_in_child("? ", 50_000)
    assert done.returncode == 0, f"child died with {done.returncode}"
    codes = done.stdout.split()[1:]
    assert codes and codes[0] in ("YML008", "YML001")


def test_merge_key_is_yml011():
    f = only(parse("base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n")[1])
    assert (f.code, f.line, f.col) == ("YML011", 3, 3)


def test_duplicate_key_is_yml002_at_the_second_key():
    f = only(parse("a: 1\nb: 2\nc:\n  d: 1\n  d: 2\n")[1])
    assert (f.code, f.line, f.col) == ("YML002", 5, 3)
    assert "first at line 4" in f.message


def test_duplicate_top_level_key():
    f = only(parse("version: 1.0.0\nname: x\nversion: 1.0.1\n")[1])
    assert (f.code, f.line, f.col) == ("YML002", 3, 1)


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("a: [1, 2\nb: 3\n", 2, 2),
        ("a: b: c\n", 1, 5),
        ("a: 1\n  b: 2\n", 2, 4),
        ("a: 'unterminated\n", 2, 1),
        ("- a\nb: 1\n", 2, 1),
    ],
)
def test_syntax_error_is_yml001_with_its_line(text, line, col):
    f = only(parse(text)[1])
    assert (f.code, f.line, f.col) == ("YML001", line, col)


def test_complex_key_is_yml001():
    f = only(parse("? [a, b]\n: c\n")[1])
    assert f.code == "YML001"
    assert "plain scalars" in f.message


@pytest.mark.parametrize(
    "text",
    [
        "when: !!timestamp 2026-13-45\n",
        "when: !!timestamp 2024-99\n",
        "flag: !!bool nope\n",
        "flag: !!bool\n",
        "port: !!int\n",
        "port: !!int 12x\n",
        "ratio: !!float nope\n",
    ],
)
def test_explicit_tag_with_a_bad_or_empty_value_is_yml013(text):
    """`!!bool nope` was a KeyError and `!!timestamp 2024-99` an AttributeError
    inside PyYAML's constructor: both are now a finding at the value."""
    f = only(parse(text)[1])
    assert (f.code, f.line, f.col) == ("YML013", 1, text.index("!!") + 1)
    assert "explicit tag" in f.message


def test_multiple_documents_is_yml001():
    f = only(parse("a: 1\n---\nb: 2\n")[1])
    assert f.code == "YML001"


# --------------------------------------------------------------------------- files


def test_read_yaml_reads_a_file(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("a: 1\n", encoding="utf-8")
    doc, found = read_yaml(p, "shown/x.yaml")
    assert found == [] and doc.data == {"a": 1} and doc.path == "shown/x.yaml"


def test_file_over_the_size_limit_is_yml009_without_reading_it(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_bytes(b"a: 1\n" + b"#" * MAX_BYTES + b"\n")
    doc, found = read_yaml(p, "big.yaml")
    f = only(found)
    assert doc is None
    assert (f.code, f.path) == ("YML009", "big.yaml")
    assert str(MAX_BYTES) in f.message


def test_file_at_the_size_limit_is_read(tmp_path):
    p = tmp_path / "edge.yaml"
    body = b"a: 1\n"
    p.write_bytes(body + b"#" * (MAX_BYTES - len(body) - 1) + b"\n")
    assert p.stat().st_size == MAX_BYTES
    doc, found = read_yaml(p, "edge.yaml")
    assert found == [] and doc.data == {"a": 1}


def test_large_ordinary_file_is_not_mistaken_for_deep_nesting(tmp_path):
    entries = "".join(
        f"  p{i}:\n    type: str\n    description: 'Parameter {i}: with a colon.'\n"
        f"    default: [a, b]\n"
        for i in range(4000)
    )
    p = tmp_path / "wide.yaml"
    p.write_text("parameters:\n" + entries, encoding="utf-8")
    assert p.stat().st_size > 100_000
    doc, found = read_yaml(p, "wide.yaml")
    assert found == []
    assert len(doc.data["parameters"]) == 4000


def test_unreadable_path_is_yml012(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    f = only(read_yaml(tmp_path / "dir.yaml", "dir.yaml")[1])
    assert f.code == "YML012"
    assert "cannot read" in f.message


def test_missing_file_is_yml012(tmp_path):
    f = only(read_yaml(tmp_path / "nope.yaml", "nope.yaml")[1])
    assert f.code == "YML012"


def test_limits_are_what_the_docs_say():
    assert load.MAX_BYTES == 1024 * 1024
    assert load.MAX_DEPTH == 64


# --------------------------------------------------------------------------- through validate


@pytest.mark.parametrize("fixture", bad_cases("YML"))
def test_bad_yaml_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def test_yaml_problem_in_manifest_stops_the_other_checks(tmp_path):
    """A manifest that cannot be read gives its YAML finding only; the families
    that need the manifest do not pile unrelated findings on top."""
    found = check_bad_fixture(tmp_path, "bad_yaml_syntax")
    assert [f.code for f in found] == ["YML001"]

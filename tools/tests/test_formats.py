"""formats.py: each format's good and bad values, the shared character rule,
declarations, and the walk through lists and maps."""

from __future__ import annotations

import pytest
from opsbundle import formats
from opsbundle.formats import FORMATS, check_string, check_value, declaration_problems

VOCAB = {"services": {"keystone": "", "nova": ""}, "roles": {"controller": "", "all": ""}}
ARGS = {
    "enum": {"choices": ["rdo", "debian", "kolla", "tripleo"]},
    "pattern": {"pattern": "[0-9][0-9a-z.+~]*", "example": "1"},
    "vocabulary": {"vocabulary": "services"},
    "url": {},
}

# format -> (good values, bad values): at least one bad value per format, and
# the hostile strings of the issue for every format that is not text.
CASES = {
    "hostname": (
        ["logs.example.org", "a", "ctl-1.example.org."],
        ["-a.org", "a_b.org", "a..b", "1.2.3.4", "x" * 64 + ".org", 'logs.example.org")'],
    ),
    "host": (
        ["logs.example.org", "192.0.2.10", "2001:db8::1", "::1"],
        ["a b", "[::1]", "300.1.1.1", "logs.example.org;id", "$(id)"],
    ),
    "hostport": (
        ["smtp.example.org:25", "192.0.2.1:587", "[2001:db8::1]:25"],
        ["smtp.example.org", "smtp:0", "a:b:c", "[x]:25", "h:25;id"],
    ),
    "port": (["1", "6514", "65535"], ["0", "012345", "65536", "1:30", "80 "]),
    "url": (
        ["https://api.example.org:5000/v3", "http://192.0.2.1/x?a=b&c=d", "https://[::1]:8080/"],
        [
            "ftp://x.org/",
            "https://",
            "https://x.org/%0a",
            "https://x.org/'",
            "https://x.org/a;b",
            "https://x.org/$(id)",
            "https://x.org/#frag",
            "https://x.org:99999/",
            "https://bad host/",
            "https://x.org/a!b",
        ],
    ),
    "path": (
        ["/etc/ssl/certs/ca.crt", "/", "/var/lib/x/"],
        ["relative/x", "/a/../b", "/a//b", "/a/./b", "/a b", "/a;b", "/$x", "/a`id`"],
    ),
    "identifier": (
        ["monitoring", "Default", "ops@example.org", "a.b-c_d+e"],
        ["-x", ".x", "a b", "a'b", "a;b", "a$b", "a:b", "a/b", "#{x}"],
    ),
    "email": (
        ["cloud-ops@example.org", "a.b+c@x.example.org"],
        ["ops", "ops@localhost", "a b@x.org", "ops@x.org\nBcc: y@z.org", "ops@x.org;"],
    ),
    "mailbox": (
        ["OpenStack packagers <packagers@example.org>", "Zoë Ånström <z@example.org>"],
        [
            "packagers@example.org",
            "A <b>",
            "O'Brien <o@example.org>",
            "A <a@x.org> B",
            "%(id) <a@x.org>",
        ],
    ),
    "duration": (["5m", "1h30m", "250ms", "2d"], ["5", "m", "5 m", "-5m", "5min"]),
    "enum": (["debian", "kolla"], ["kola", "Debian", "debian "]),
    "pattern": (["1", "2.el9", "1+deb12u1"], ["", "a1", "1-2", "1%(id)", "1;x", "1 2"]),
    "vocabulary": (["keystone", "nova"], ["keystonee", "Nova", "nova;"]),
    "text": (
        ['it\'s "quoted"', "$(id) `id` %(id) #{x} ; | } { \\", "   padded   ", ""],
        ["a\nb", "a\x00b", "a\u2028b", "a\u2029b", "\x1b]0;title\x07", "a\u202eb", "x" * 4097],
    ),
}


def _spec(name: str) -> dict:
    return {"format": name, **ARGS.get(name, {})}


def test_every_format_has_cases_and_a_good_example():
    assert set(CASES) == set(FORMATS)
    for name, fmt in FORMATS.items():
        spec = _spec(name)
        assert fmt.rule
        example = formats.example(spec)
        assert check_string(example, spec, VOCAB) is None, (name, example)


@pytest.mark.parametrize(
    ("name", "value"), [(n, v) for n, (good, _) in CASES.items() for v in good]
)
def test_good_values(name, value):
    assert check_string(value, _spec(name), VOCAB) is None


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, (_, bad) in CASES.items() for v in bad])
def test_bad_values(name, value):
    why = check_string(value, _spec(name), VOCAB)
    assert why, f"{name} accepted {value!r}"


@pytest.mark.parametrize("name", sorted(set(FORMATS) - {"text"}))
@pytest.mark.parametrize("special", formats.TEXT_ONLY)
def test_only_text_holds_quotes_dollar_percent_backticks_semicolons(name, special):
    """Whatever else a format allows, these characters are text's alone."""
    good = formats.example(_spec(name))
    for value in (special + good, good + special, good[:1] + special + good[1:]):
        assert check_string(value, _spec(name), VOCAB), (name, value)


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("ch", ["\n", "\r", "\t", "\x00", "\x7f", "\u0085", "\u2028", "\u2029"])
def test_no_format_admits_a_control_character_or_a_separator(name, ch):
    good = formats.example(_spec(name)) or "x"
    assert "control character" in check_string(good + ch, _spec(name), VOCAB)


def test_enum_and_vocabulary_say_what_they_want():
    assert check_string("kola", _spec("enum")) == (
        "must be one of rdo, debian, kolla, tripleo (did you mean kolla?)"
    )
    assert check_string("keystonee", _spec("vocabulary"), VOCAB) == (
        "is not a service of interfaces/vocabulary.yaml (did you mean keystone?)"
    )
    assert "known: keystone, nova" in check_string("zzz", _spec("vocabulary"), VOCAB)


def test_url_schemes_argument():
    spec = {"format": "url", "schemes": ["ldaps"]}
    assert check_string("ldaps://dir.example.org:636", spec) is None
    assert "ldaps://" in check_string("https://dir.example.org", spec)


def test_port_applies_to_ints_too():
    spec = {"format": "port"}
    assert check_value(6514, spec) == []
    assert [p.message for p in check_value(0, spec)] == ["is not a port number (1-65535)"]
    assert check_value(True, spec) == []  # a bool is the type check's business


def test_check_value_walks_lists_and_maps_and_checks_keys():
    spec = {"format": "host"}
    value = {"controller": ["ctl1.example.org", "bad host"], "bad key": [], "compute": [7]}
    got = sorted((p.keypath, p.message.split(" (")[0]) for p in check_value(value, spec))
    assert got == [
        (("bad key",), "key is not an identifier"),
        (("controller", 1), "is neither a host name nor an IP address"),
    ]


def test_a_list_or_map_without_a_format_takes_no_strings():
    (problem,) = check_value({"a": {"b": "x"}, "c": 1.5}, {})
    assert problem.keypath == ("a", "b")
    assert "declares no format" in problem.message
    assert check_value({"a": float("inf")}, {})[0].message == "is not a finite number"


@pytest.mark.parametrize(
    ("spec", "kind", "want"),
    [
        ({"format": "hostnam"}, "str", "unknown format 'hostnam'"),
        ({"format": "enum"}, "str", "format enum needs 'choices'"),
        ({"format": "enum", "choices": []}, "str", "choices must be a non-empty list"),
        ({"format": "enum", "choices": ["a b"]}, "str", "choice 'a b' is not a plain word"),
        ({"format": "pattern"}, "str", "format pattern needs 'pattern'"),
        ({"format": "pattern", "pattern": "("}, "str", "pattern does not compile"),
        ({"format": "url", "schemes": ["HTTP S"]}, "str", "schemes must be a list"),
        ({"format": "vocabulary", "vocabulary": "x"}, "str", "vocabulary must be one of"),
        ({"format": "host", "choices": ["a"]}, "str", "'choices' belongs to another format"),
        ({"format": "host"}, "int", "an int parameter may only be a port"),
        ({"format": "text"}, "bool", "a bool parameter takes no format"),
    ],
)
def test_declaration_problems(spec, kind, want):
    problems = declaration_problems(spec, kind)
    assert any(want in p for p in problems), problems


def test_good_declarations_have_no_problems():
    for name in FORMATS:
        assert declaration_problems(_spec(name), "str") == [], name
    assert declaration_problems({"format": "port"}, "int") == []


def test_holds_strings_and_free_text():
    assert formats.holds_strings({"type": "str"})
    assert formats.holds_strings({"type": "list", "default": ["a"]})
    assert formats.holds_strings({"type": "map", "example": {"a": ["b"]}})
    assert not formats.holds_strings({"type": "map", "default": {"a": 1}})
    assert not formats.holds_strings({"type": "int"})
    assert formats.is_free_text({"format": "text"})
    assert formats.is_free_text({"format": "identifier", "secret": True})
    assert not formats.is_free_text({"format": "identifier"})

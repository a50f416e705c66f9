"""escape/nagios.py: object values, check_command arguments, command-line
words and resource values, each through nagios4 (and /bin/sh) and back."""

from __future__ import annotations

import pytest
from opsbundle.escape import EscapeError
from opsbundle.escape import nagios as module

from .roundtrip import check_roundtrip, check_unescaped_fails


def test_tokens():
    assert module.nagios_value("a;b") == "a\\;b"
    assert module.nagios_arg("a!b$c;d") == "a\\!b$$c\\;d"
    assert module.nagios_shell("it's $x;") == "'it'\\''s $$x\\;'"
    assert module.nagios_resource("it's") == "it'\\''s"


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("nagios_value", ["backslash-end", "spaces"]),
        ("nagios_arg", ["backslash-end"]),
        ("nagios_shell", []),
        ("nagios_resource", ["backslash-end", "spaces"]),
    ],
)
def test_every_value_comes_back_as_given(tmp_path, name, refused):
    assert sorted(check_roundtrip(name, tmp_path)) == refused


@pytest.mark.parametrize(
    ("name", "raws"),
    [
        ("nagios_value", ["a;b"]),  # nagios cuts the value at the comment
        ("nagios_shell", ["'it's'"]),
        ("nagios_shell", ["'$(echo pwn)'"]),  # a lone `$` is nagios's macro start
        ("nagios_arg", ["a!b"]),
    ],
)
def test_the_round_trip_notices_a_missing_escape(tmp_path, name, raws):
    check_unescaped_fails(name, raws, tmp_path)


@pytest.mark.parametrize("name", ["nagios_value", "nagios_arg", "nagios_resource"])
def test_a_trailing_backslash_is_refused(name):
    """nagios4 -vp: `alias abc\\` swallowed the next line of the definition."""
    with pytest.raises(EscapeError, match="join the next line"):
        getattr(module, name)("abc\\")


@pytest.mark.parametrize("value", ["a\nb", "a\x00b", "a\u2028b", None])
def test_control_characters_are_refused(value):
    for fn in (module.nagios_value, module.nagios_arg, module.nagios_shell, module.nagios_resource):
        with pytest.raises(EscapeError):
            fn(value)

"""escape/make.py: a variable's value and a single-quoted recipe word, read
back by GNU make (and /bin/sh for recipes)."""

from __future__ import annotations

import pytest
from opsbundle.escape import EscapeError
from opsbundle.escape import make as module

from .roundtrip import check_roundtrip, check_unescaped_fails


def test_tokens():
    assert module.make_value("a$(x)#b") == "a$$(x)\\#b"
    assert module.make_shell("it's $(x)") == "'it'\\''s $$(x)'"


@pytest.mark.parametrize(
    ("name", "refused"), [("make_value", ["backslash-end", "spaces"]), ("make_shell", [])]
)
def test_every_value_comes_back_as_given(tmp_path, name, refused):
    assert sorted(check_roundtrip(name, tmp_path)) == refused


@pytest.mark.parametrize(
    ("name", "raws"), [("make_value", ["$(shell echo pwn)"]), ("make_shell", ["'$(HOME)'"])]
)
def test_the_round_trip_notices_a_missing_escape(tmp_path, name, raws):
    check_unescaped_fails(name, raws, tmp_path)


def test_a_trailing_backslash_is_refused():
    """make read `V := abc\\` and the next line as one value."""
    with pytest.raises(EscapeError, match="join the next line"):
        module.make_value("abc\\")


@pytest.mark.parametrize("value", ["a\nb", "a\x00b", None])
def test_control_characters_are_refused(value):
    with pytest.raises(EscapeError):
        module.make_value(value)

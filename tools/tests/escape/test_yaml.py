"""escape/yaml.py: yaml_str takes the hostile corpus to the engine and back."""

from __future__ import annotations

import pytest
from opsbundle.escape import EscapeError
from opsbundle.escape import yaml as module

from .roundtrip import check_roundtrip, check_unescaped_fails


def test_writes_the_whole_token():
    assert module.yaml_str("yes") == '"yes"'


def test_every_value_comes_back_as_given(tmp_path):
    assert sorted(check_roundtrip("yaml_str", tmp_path)) == []


def test_the_round_trip_notices_a_missing_escape(tmp_path):
    check_unescaped_fails("yaml_str", ['"a"b"'], tmp_path)


@pytest.mark.parametrize("value", ["a\nb", "a\x00b", "a\u2028b", None, True])
def test_control_characters_and_non_text_are_refused(value):
    with pytest.raises(EscapeError):
        module.yaml_str(value)

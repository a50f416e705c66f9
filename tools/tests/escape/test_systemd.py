"""escape/systemd.py: one Exec*= argument and one Environment= word.

No systemd runs here (no PID 1), so the round trip unquotes by the rules of
systemd.service(5) and systemd.exec(5) (emulated); what each escape doubles
is asserted directly."""

from __future__ import annotations

import pytest
from opsbundle.escape import EscapeError
from opsbundle.escape import systemd as module

from .roundtrip import check_roundtrip, check_unescaped_fails


def test_exec_arg_doubles_specifiers_and_dollars_and_quotes():
    assert module.systemd_exec_arg('100% $HOME "x" \\') == '"100%% $$HOME \\"x\\" \\\\"'


def test_environment_word_doubles_specifiers_only():
    assert module.systemd_env("KEY=100% $HOME") == '"KEY=100%% $HOME"'


@pytest.mark.parametrize("name", ["systemd_exec_arg", "systemd_env"])
def test_every_value_comes_back_as_given(tmp_path, name):
    assert check_roundtrip(name, tmp_path) == []


def test_the_round_trip_notices_a_missing_escape(tmp_path):
    check_unescaped_fails("systemd_exec_arg", ['"a"b"'], tmp_path)


@pytest.mark.parametrize("value", ["a\nb", "a\x00b", None])
def test_control_characters_are_refused(value):
    with pytest.raises(EscapeError):
        module.systemd_exec_arg(value)

"""Every option of every command says what it does, and every command shows
examples in its --help."""

from __future__ import annotations

import argparse

from opsbundle.cli import parser


def test_every_option_has_help_and_every_command_examples():
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    silent = [
        (name, action.option_strings or action.dest)
        for name, command in sub.choices.items()
        for action in command._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert silent == []
    assert [n for n, c in sub.choices.items() if not (c.epilog or "").startswith("examples:")] == []

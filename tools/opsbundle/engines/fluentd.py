"""fluentd: its configuration read as fluentd reads it, every pattern compiled by
Onigmo (Ruby's Regexp).

fluentd itself does not install here; this checks the parts that decide what
gets parsed: the structure the runner reads and each pattern on the regex
engine fluentd runs on (see logparse/fluentd.py).
"""

from __future__ import annotations

from ..logparse import fluentd as runner
from . import rules

TOOL = "fluentd"
BINARY = "ruby"
PACKAGE = "ruby"


def check(batch, workdir) -> list:
    return rules.check(runner, batch)

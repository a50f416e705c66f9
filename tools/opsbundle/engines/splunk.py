"""splunk: its configuration read as splunk reads it, every pattern compiled by
PCRE2 (PyPI pcre2).

splunk itself does not install here; this checks the parts that decide what
gets parsed: the structure the runner reads and each pattern on the regex
engine splunk runs on (see logparse/splunk.py).
"""

from __future__ import annotations

from ..logparse import splunk as runner
from . import rules

TOOL = "splunk"
BINARY = runner.BINARY
PACKAGE = runner.PACKAGE
available = runner.available


def check(batch, workdir) -> list:
    return rules.check(runner, batch)

"""fluentd: its configuration read as fluentd reads it, every pattern compiled by
Onigmo (Ruby's Regexp), all bundles' patterns in one `ruby` process.

fluentd itself does not install here; this checks the parts that decide what
gets parsed: the structure the runner reads and each pattern on the regex
engine fluentd runs on (see logparse/fluentd.py).
"""

from __future__ import annotations

from pathlib import Path

from . import patterns, which

TOOL = "fluentd"
BINARY = "ruby"
PACKAGE = "ruby"
SCRIPT = Path(__file__).with_name("regexp_check.rb")
USES = ("engines/patterns.py", "engines/regexp_check.rb")


def prepare(rendered) -> list:
    from ..logparse import fluentd as runner

    return patterns.prepare(runner, rendered)


def check(batch, workdir) -> list:
    return patterns.check(batch, [which(BINARY), str(SCRIPT)], "Onigmo (ruby)")

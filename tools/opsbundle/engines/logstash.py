"""logstash: its configuration read as logstash reads it, every pattern compiled by
Joni (JRuby's Regexp), grok expanded from the standard patterns.

logstash itself does not install here; this checks the parts that decide what
gets parsed: the structure the runner reads and each pattern on the regex
engine logstash runs on (see logparse/logstash.py).
"""

from __future__ import annotations

from ..logparse import logstash as runner
from . import rules

TOOL = "logstash"
BINARY = "jruby"
PACKAGE = "jruby"


def check(batch, workdir) -> list:
    return rules.check(runner, batch)

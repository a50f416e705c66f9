"""logstash: its configuration read as logstash reads it, every pattern compiled by
Joni (JRuby's Regexp), grok expanded from the standard patterns.

logstash itself does not install here; this checks the parts that decide what
gets parsed: the structure the runner reads and each pattern on the regex
engine logstash runs on (see logparse/logstash.py).
"""

from __future__ import annotations

from ..findings import Finding
from ..logparse import check_rendered
from ..logparse import logstash as runner

TOOL = "logstash"
BINARY = "jruby"
PACKAGE = "jruby"


def check(batch, workdir) -> list:
    found = []
    for rendered in batch:
        files = {dest: path for _, path, dest in rendered.files}
        shown = {dest: src for src, _, dest in rendered.files}
        problem = check_rendered(runner, files, shown)
        if problem:
            source = rendered.files[0][0] if rendered.files else f"{rendered.ref}/manifest.yaml"
            found.append(Finding("NAT001", source, problem, bundle=rendered.ref))
    return found

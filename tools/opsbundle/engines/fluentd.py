"""fluentd: its configuration read as fluentd reads it, every pattern compiled by
Onigmo (Ruby's Regexp).

fluentd itself does not install here; this checks the parts that decide what
gets parsed: the structure the runner reads and each pattern on the regex
engine fluentd runs on (see logparse/fluentd.py).
"""

from __future__ import annotations

from ..findings import Finding
from ..logparse import check_rendered
from ..logparse import fluentd as runner

TOOL = "fluentd"
BINARY = "ruby"
PACKAGE = "ruby"


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

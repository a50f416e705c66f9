"""The native check shared by the parser bundles (fluentd, logstash, splunk):
read the rendered configuration as the bundle's runner in `logparse/` does and
compile every pattern on the tool's regex engine, with no input. One NAT001
per bundle that fails, naming the template and rendered line at fault."""

from __future__ import annotations

from ..findings import Finding
from ..logparse import check_rendered


def check(runner, batch) -> list[Finding]:
    found = []
    for rendered in batch:
        files = {dest: path for _, path, dest in rendered.files}
        shown = {dest: src for src, _, dest in rendered.files}
        problem = check_rendered(runner, files, shown)
        if problem:
            source = rendered.files[0][0] if rendered.files else f"{rendered.ref}/manifest.yaml"
            found.append(Finding("NAT001", source, problem, bundle=rendered.ref))
    return found

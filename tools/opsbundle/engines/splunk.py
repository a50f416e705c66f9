"""splunk: its configuration read as splunk reads it, every pattern compiled by
PCRE2 (PyPI pcre2), in this process: no program starts at all.

splunk itself does not install here; this checks the parts that decide what
gets parsed: the structure the runner reads and each pattern on the regex
engine splunk runs on (see logparse/splunk.py).
"""

from __future__ import annotations

from ..findings import Finding

TOOL = "splunk"
BINARY = "pcre2"  # a library (PyPI pcre2, PCRE2 built in), not a program
BINARIES: tuple = ()
PACKAGE = "pcre2 (PyPI)"


def identity_files() -> list[str]:
    """The pcre2 binding (its PCRE2 is built in), found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("pcre2")
    return [spec.origin] if spec is not None and spec.origin else []


def available() -> bool:
    from ..logparse import splunk as runner

    return runner.available()


def check(batch, workdir) -> list:
    from ..logparse import check_rendered
    from ..logparse import splunk as runner

    found = []
    for rendered in batch:
        files = {dest: path for _, path, dest in rendered.files}
        shown = {dest: src for src, _, dest in rendered.files}
        problem = check_rendered(runner, files, shown)
        if problem:
            source = rendered.files[0][0] if rendered.files else f"{rendered.ref}/manifest.yaml"
            found.append(Finding("NAT001", source, problem, bundle=rendered.ref))
    return found

"""Real engines that check rendered configuration, one module per tool.

An engine module has `TOOL` (the manifest's tool.name it checks), `BINARY`,
`PACKAGE` (the Debian package that provides it; an engine that is a Python
library instead has `available()`) and `check(batch, workdir)`,
which gets every rendered bundle of its tool in one call, so an engine starts
once per run where the tool allows it. To add one: write `engines/<tool>.py`
and add it to `ENGINES`.

Each bundle is rendered with its own defaults and examples (the same values the
template check uses) into a scratch directory that is removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..findings import Finding
from . import fluentd, logstash, rsyslog, splunk

ENGINES = {m.TOOL: m for m in (rsyslog, fluentd, logstash, splunk)}


@dataclass
class Rendered:
    """One bundle rendered for an engine: its files, each with the template
    it came from (where findings point) and the path it was written to."""

    ref: str
    files: list[tuple[str, Path, str]]  # (source shown to the user, rendered path, dest)


def installed(engine) -> bool:
    """An engine that is a library says so with `available()`; a program is looked up."""
    available = getattr(engine, "available", None)
    if available is not None:
        return available()
    return shutil.which(engine.BINARY) is not None


def run(ctx, bundles, require: bool) -> tuple[list[Finding], list[str]]:
    """Findings from every engine over `bundles` (already free of errors), and
    notes saying what was skipped and why."""
    from ..render import _render_bundle  # rendering pulls in Jinja2; only when needed

    found: list[Finding] = []
    notes: list[str] = []
    by_engine: dict[str, list] = {}
    for bundle in bundles:
        tool = bundle.data.get("tool")
        name = tool.get("name") if isinstance(tool, dict) else None
        if name in ENGINES:
            by_engine.setdefault(name, []).append(bundle)
    for name, group in sorted(by_engine.items()):
        engine = ENGINES[name]
        if not installed(engine):
            message = (
                f"{engine.BINARY} is not installed (Debian package {engine.PACKAGE}); "
                f"native check skipped for {len(group)} bundle(s)"
            )
            if require:
                found += [
                    Finding("NAT002", f"{b.ref}/manifest.yaml", message, bundle=b.ref)
                    for b in group
                ]
            else:
                notes.append(message)
            continue
        with tempfile.TemporaryDirectory(prefix=f"opsbundle-{name}-") as tmp:
            work = Path(tmp)
            batch = []
            for bundle in group:
                out = work / "render"
                entries = _render_bundle(ctx, bundle, bundle.sample_values(), out)
                files = [
                    (f"{bundle.ref}/{src['source_file']}", out / src["source"], src["dest"])
                    for src in entries
                ]
                batch.append(Rendered(bundle.ref, files))
            found += engine.check(batch, work)
        notes.append(f"{engine.BINARY} checked {len(group)} bundle(s)")
    return found, notes

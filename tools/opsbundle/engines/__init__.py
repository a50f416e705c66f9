"""Real engines that check rendered configuration, one module per tool.

An engine module has `TOOL` (the manifest's tool.name it checks), `BINARY`,
`PACKAGE` (the Debian package that provides it), optionally `BINARIES` (every
program it runs, when more than one) or `available()` (an engine that is a
Python library rather than a program) and `check(batch, workdir)`,
which gets every rendered bundle of its tool in one call, so an engine starts
once per run where the tool allows it. To add one: write `engines/<tool>.py`
and add it to `ENGINES` (by tool name).

Each bundle is rendered with its own defaults and examples (the same values the
template check uses) into a scratch directory that is removed afterwards.

Binaries are looked up on PATH, then in `$OPSBUNDLE_NATIVE_PATH` and the
repository's `.venv/opt/bin`, where tools/setup.sh unpacks engines that Debian
ships only inside heavy packages (promtool, amtool).
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..findings import Finding


class _Lazy(dict):
    """Tool name -> engine module, imported on first use, so that a validate
    run pays only for the engines its bundles need (the packaging ones pull in
    pbr and the whole build pipeline)."""

    def __getitem__(self, tool):
        value = super().__getitem__(tool)
        if isinstance(value, str):
            value = importlib.import_module(f"{__name__}.{value}")
            super().__setitem__(tool, value)
        return value


# manifest tool.name -> module under engines/
ENGINES = _Lazy(
    dpkg="deb",
    fluentd="fluentd",
    icinga2="icinga2",
    logstash="logstash",
    nagios="nagios",
    prometheus="prometheus",
    rpm="rpm",
    rsyslog="rsyslog",
    sensu="sensu",
    splunk="splunk",
)
NATIVE_PATH = "OPSBUNDLE_NATIVE_PATH"
_REPO = Path(__file__).resolve().parents[3]


@dataclass
class Rendered:
    """One bundle rendered for an engine: its files, each with the template
    it came from (where findings point) and the path it was written to."""

    ref: str
    files: list[tuple[str, Path, str]]  # (source shown to the user, rendered path, dest)
    bundle: object = None  # the Bundle, for engines that render build inputs themselves
    ctx: object = None  # the checks Context (registry of interfaces)


def placed(label: str, ref: str, by_path: dict, default, message: str, file=None, line=None):
    """NAT001 for one message an engine printed, placed at the template of the
    rendered file it names (else at `default`, a (shown, dest) pair), with every
    scratch path in it put back as the host path it stands for. `by_path` maps
    a rendered path to its (shown, dest)."""
    shown, dest = default
    where = ""
    if file in by_path:
        shown, dest = by_path[file]
        where = f", line {line}"
    for path, (_, host) in by_path.items():
        message = message.replace(path, host)
    return Finding("NAT001", shown, f"{label}: rendered {dest}{where}: {message}", bundle=ref)


def search_path() -> str:
    extra = [os.environ.get(NATIVE_PATH, ""), str(_REPO / ".venv" / "opt" / "bin")]
    return os.pathsep.join(p for p in [os.environ.get("PATH", os.defpath), *extra] if p)


def which(binary: str) -> str | None:
    """The full path of a native tool, or None when it is not installed."""
    return shutil.which(binary, path=search_path())


def missing(engine) -> list[str]:
    """What an engine needs and this machine lacks: programs, or for an engine
    that is a library, the library (named by BINARY)."""
    available = getattr(engine, "available", None)
    if available is not None:
        return [] if available() else [engine.BINARY]
    return [b for b in getattr(engine, "BINARIES", (engine.BINARY,)) if not which(b)]


def installed(engine) -> bool:
    return not missing(engine)


def run(ctx, bundles, require: bool) -> tuple[list[Finding], list[str]]:
    """Findings from every engine over `bundles` (already free of errors), and
    notes saying what was skipped and why."""
    from ..render import render_files  # rendering pulls in Jinja2; only when needed

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
        absent = missing(engine)
        if absent:
            message = (
                f"{', '.join(absent)} not installed (Debian package {engine.PACKAGE}); "
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
                entries = render_files(ctx, bundle, bundle.sample_values(), out)
                files = [
                    (f"{bundle.ref}/{src['source_file']}", out / src["source"], src["dest"])
                    for src in entries
                ]
                batch.append(Rendered(bundle.ref, files, bundle, ctx))
            found += engine.check(batch, work)
        notes.append(f"{engine.BINARY} checked {len(group)} bundle(s)")
        if getattr(engine, "EMULATED", False):
            notes.append(f"{name}: emulated check only; the real tool cannot run here")
    return found, notes

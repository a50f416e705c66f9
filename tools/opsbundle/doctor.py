"""`opsbundle doctor`: which real engines this machine has, where, and how to
get the missing ones. It reads the engine registry (engines.ENGINES), so a
new engine shows up here without a list of its own."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from . import engines

# Programs the other commands need besides the engines.
OTHERS = {
    "git": ("git", "--changed-since, review, hooks"),
    "unshare": ("util-linux", "the render-index/v1 conformance suite (a private mount namespace)"),
    "ansible-playbook": ("pip install ansible-core", "the opsbundles.deploy collection"),
}


def rows() -> list[dict]:
    """One row per program: tool, program, where it was found (or None), how to install."""
    out = []
    for tool in sorted(engines.ENGINES):
        engine = engines.ENGINES[tool]
        available = getattr(engine, "available", None)
        programs = engines.binaries(engine)
        if available is not None or not programs:
            ok = available() if available is not None else True
            out.append(_row(tool, engine.BINARY, "(library)" if ok else None, engine.PACKAGE))
            continue
        for program in programs:
            out.append(_row(tool, program, engines.which(program), engine.PACKAGE))
    for program, (package, why) in OTHERS.items():
        # the consumers' tools may live in this interpreter's venv, off PATH
        found = engines.which(program) or shutil.which(
            program, path=str(Path(sys.executable).parent)
        )
        out.append(_row(f"({why})", program, found, package))
    return out


def _row(tool, program, where, package) -> dict:
    install = package if package.startswith(("pip ", "none")) else f"apt-get install {package}"
    return {"tool": tool, "program": program, "found": where, "install": install}


def as_text(table: list[dict]) -> str:
    width = max(len(r["program"]) for r in table)
    lines = [
        "engines are looked up on PATH, then in $"
        f"{engines.NATIVE_PATH} ({os.environ.get(engines.NATIVE_PATH) or 'not set'}), "
        "then in the checkout's .venv/opt/bin (tools/setup.sh)",
    ]
    for r in table:
        where = r["found"] or f"MISSING  ({r['install']})"
        lines.append(f"{r['program']:<{width}}  {where}  [{r['tool']}]")
    missing = sum(not r["found"] for r in table)
    lines.append(
        f"{'ok' if not missing else 'missing'}: {len(table) - missing} found, {missing} missing"
    )
    return "\n".join(lines)

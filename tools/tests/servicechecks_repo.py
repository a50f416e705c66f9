"""A throw-away copy of this repository's interfaces and monitoring bundles,
for service-checks tests that break a bundle on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

from opsbundle import repo
from opsbundle.checks import Context
from opsbundle.interfaces import Registry

REAL_ROOT = Path(__file__).resolve().parents[2]


def copy_repo(tmp_path: Path, *bundles: str) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REAL_ROOT / "interfaces", root / "interfaces")
    (root / "monitoring").mkdir()
    shutil.copy(REAL_ROOT / "monitoring" / "inventory.example.yaml", root / "monitoring")
    for ref in bundles:
        shutil.copytree(REAL_ROOT / ref, root / ref)
    return root


def context(root: Path) -> Context:
    dirs = repo.discover(root)
    return Context(root, Registry(root), {b.ref: b for b in dirs})


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def native_findings(root: Path, ref: str) -> list:
    """The NAT findings of `validate --require-native` on one bundle."""
    from opsbundle.validate import Options, run

    report = run(root, Options(names=[ref], cache=False, require_native=True))
    return [f for f in report.findings if f.code.startswith("NAT")]

"""A monitoring bundle rendered for the test cloud and put where it goes.

The suites here render a bundle from the one example inventory with values
that point it at the real daemons of `testcloud` (kernel-chosen ports on
127.0.0.1), then copy each rendered file to its destination under a
scratch root, as a deployment would: `root/etc/prometheus/...`. Nothing is
edited after the render: what the daemons run is what the bundle ships.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from opsbundle import inventory
from servicechecks_repo import REAL_ROOT, context

HOST = "ctl1.test"  # the one controller of the test cloud, as monitored_hosts names it


def render(ref: str, out: Path, values: dict) -> dict[str, Path]:
    """{destination: deployed path} of `ref` rendered with `values` on top of
    the example inventory, each file copied to `out/root/<destination>`."""
    ctx = context(REAL_ROOT)
    files = inventory.render(ctx, ctx.bundle(ref), out / "render", values)
    root = out / "root"
    deployed = {}
    for dest, path in files:
        target = root / dest.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        deployed[dest] = target
    return deployed


def root_of(out: Path) -> Path:
    return out / "root"

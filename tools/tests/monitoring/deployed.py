"""A monitoring bundle rendered for the test cloud and put where it goes.

The suites here render a bundle from the one example inventory with values
that point it at the real daemons of `testcloud` (kernel-chosen ports on
127.0.0.1), copy each rendered file to its destination under a scratch
root, and apply the render's edits (render-index/v1) to the main
configurations the bundle merges into, starting from the ones Debian ships,
with the deploy collection's own edit code: what the daemons then run is
what a deployment would leave on a host. Nothing is edited by hand.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from opsbundle import inventory
from opsbundle.render import render_files
from servicechecks_repo import REAL_ROOT, context

HOST = "ctl1.test"  # the one controller of the test cloud, as monitored_hosts names it
EDITS = REAL_ROOT / "ansible/opsbundles/deploy/plugins/filter/edits.py"


def _edit_filter():
    """opsbundles_edit from the Ansible collection (plain Python): the one
    implementation of the edit rules, the one the deploy role runs."""
    spec = importlib.util.spec_from_file_location("opsbundles_deploy_edits", EDITS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.opsbundles_edit


def render(ref: str, out: Path, values: dict, bases: dict[str, Path] | None = None):
    """{destination: deployed path} of `ref` rendered with `values` on top of
    the example inventory: each file copied to `out/root/<destination>`.
    With `bases`, each main configuration the render edits is written there
    too (and returned): `bases[file]` (the file as the site has it, e.g.
    Debian's default; empty when not given) with the edits applied."""
    ctx = context(REAL_ROOT)
    bundle = ctx.bundle(ref)
    try:
        entries = render_files(ctx, bundle, inventory.values(ctx, bundle, values), out / "render")
    except Exception as exc:  # RenderError, InventoryError: say which bundle
        raise AssertionError(f"{ref} does not render for the test cloud: {exc}") from None
    root = out / "root"
    deployed = {}
    for entry in entries:
        target = root / entry["dest"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(out / "render" / entry["source"], target)
        deployed[entry["dest"]] = target
    if bases is None:
        return deployed
    apply = _edit_filter()
    for entry in entries:
        for edit in entry.get("edits") or []:
            name = edit["file"]
            target = root / name.lstrip("/")
            if name not in deployed:
                base = bases.get(name)
                text = base.read_text(encoding="utf-8") if base else ""
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                deployed[name] = target
            target.write_text(apply(target.read_text(encoding="utf-8"), edit), encoding="utf-8")
    return deployed

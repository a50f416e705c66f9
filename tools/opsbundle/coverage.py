"""`opsbundle coverage`: which implementation emits which catalog check.

A cell is decided from the rendered configuration (catalog.emitted) and the
manifest's not_implemented list, in one place, for this command and for the
"catalog coverage" conformance case alike:
    yes         emitted
    gap         not emitted, and the manifest says why
    MISSING     not emitted, and no reason given
    UNLISTED    emitted although the manifest says it is not implemented
    UNKNOWN     emitted, but not in the catalog
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import catalog, inventory

GOOD = ("yes", "gap")


def status(ctx, bundle, files) -> dict[str, tuple[str, str]]:
    """{check ID: (cell, reason)} for one rendered implementation."""
    tool = (bundle.data.get("tool") or {}).get("name")
    known = catalog.checks(ctx.registry)
    gaps = catalog.not_implemented(bundle)
    emitted = catalog.emitted(tool, [(d, p.read_text(encoding="utf-8")) for d, p in files])
    cells = {}
    for cid in known:
        if cid in gaps:
            cells[cid] = ("UNLISTED", gaps[cid]) if cid in emitted else ("gap", gaps[cid])
        else:
            cells[cid] = ("yes", "") if cid in emitted else ("MISSING", "no reason given")
    for cid in sorted(emitted - known.keys()):
        cells[cid] = ("UNKNOWN", "emitted but not in the catalog")
    return cells


def collect(ctx, bundles) -> dict[str, dict[str, tuple[str, str]]]:
    table = {}
    for bundle in bundles:
        with tempfile.TemporaryDirectory(prefix="opsbundle-coverage-") as tmp:
            try:
                files = inventory.render(ctx, bundle, Path(tmp))
                table[bundle.ref] = status(ctx, bundle, files)
            except (inventory.InventoryError, KeyError, ValueError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                table[bundle.ref] = {"(render)": ("MISSING", first)}
    return table


def as_text(ctx, table) -> str:
    known = catalog.checks(ctx.registry)
    refs = list(table)
    names = [r.split("/", 1)[1] for r in refs]
    ids = list(known) + sorted({c for cells in table.values() for c in cells} - known.keys())
    width = max(len(c) for c in ids) if ids else 8
    cols = [max(len(n), 8) for n in names]
    lines = [
        f"{'check':<{width}}  " + "  ".join(n.ljust(w) for n, w in zip(names, cols, strict=True))
    ]
    notes = []
    for cid in ids:
        cells = []
        for ref, w in zip(refs, cols, strict=True):
            cell, reason = table[ref].get(cid, ("-", ""))
            if cell not in ("yes", "-"):
                notes.append(f"  {cid} in {ref}: {cell}: {reason}")
            cells.append(cell.ljust(w))
        lines.append(f"{cid:<{width}}  " + "  ".join(cells).rstrip())
    for ref in refs:
        good = sum(cell == "yes" for cell, _ in table[ref].values())
        lines.append(f"{ref}: {good}/{len(known)} catalog checks implemented")
    if notes:
        lines += ["gaps and problems:", *notes]
    return "\n".join(lines)


def as_json(table) -> str:
    return json.dumps(
        {
            ref: {c: {"cell": cell, "reason": r} for c, (cell, r) in cells.items()}
            for ref, cells in table.items()
        },
        indent=2,
    )


def failed(table) -> bool:
    return any(cell not in GOOD for cells in table.values() for cell, _ in cells.values())

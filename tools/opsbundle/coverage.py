"""`opsbundle coverage`: which implementation emits which catalog check.

A cell is decided from the rendered configuration (catalog.emitted) and the
manifest's not_implemented list, in one place, for this command and for the
"catalog coverage" conformance case alike. Each implementation is rendered
once per VARIANT (network back end and release), since some checks apply
only to one (catalog.applies):
    yes         emitted in every variant it applies to, and in no other
    gap         not emitted, and the manifest says why
    MISSING     not emitted where it applies, and no reason given
    MISAPPLIED  emitted in a variant it does not apply to
    UNLISTED    emitted although the manifest says it is not implemented
    UNKNOWN     emitted, but not in the catalog
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import catalog, inventory

GOOD = ("yes", "gap")
# Together they give every check a render it applies to.
VARIANTS = (
    {"network_backend": "ovs", "openstack_release": "2025.1"},
    {"network_backend": "ovn", "openstack_release": "2025.2"},
)


def _named(variant: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in variant.items())


def status(ctx, bundle, renders) -> dict[str, tuple[str, str]]:
    """{check ID: (cell, reason)} for one implementation, from its renders:
    [(variant values, [(dest, rendered path)])]."""
    tool = (bundle.data.get("tool") or {}).get("name")
    known = catalog.checks(ctx.registry)
    gaps = catalog.not_implemented(bundle)
    seen = []
    for variant, files in renders:
        texts = [(d, p.read_text(encoding="utf-8")) for d, p in files]
        seen.append((variant, catalog.emitted(tool, texts)))
    emitted_anywhere = set().union(*(ids for _, ids in seen))
    cells = {}
    for cid, entry in known.items():
        if cid in gaps:
            cells[cid] = ("UNLISTED", gaps[cid]) if cid in emitted_anywhere else ("gap", gaps[cid])
            continue
        cells[cid] = ("yes", "")
        for variant, ids in seen:
            applies = catalog.applies(entry, variant)
            if applies and cid not in ids:
                cells[cid] = ("MISSING", f"no reason given (not emitted with {_named(variant)})")
            elif not applies and cid in ids:
                cells[cid] = (
                    "MISAPPLIED",
                    f"emitted with {_named(variant)}, where it does not apply",
                )
    for cid in sorted(emitted_anywhere - known.keys()):
        cells[cid] = ("UNKNOWN", "emitted but not in the catalog")
    return cells


def render_variants(ctx, bundle, out: Path) -> list:
    """The implementation rendered from the example inventory in each VARIANT."""
    return [
        (variant, inventory.render(ctx, bundle, out / str(i), variant))
        for i, variant in enumerate(VARIANTS)
    ]


def collect(ctx, bundles) -> dict[str, dict[str, tuple[str, str]]]:
    table = {}
    for bundle in bundles:
        with tempfile.TemporaryDirectory(prefix="opsbundle-coverage-") as tmp:
            try:
                table[bundle.ref] = status(ctx, bundle, render_variants(ctx, bundle, Path(tmp)))
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

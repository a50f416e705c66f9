"""Conformance of service-checks/v1 implementations.

Every implementation, rendered from the one example inventory, must emit
each catalog check it does not list as not implemented, and nothing else
(case kind "catalog coverage"). Then each tool proves its checks with its own
engine: promtool unit tests for prometheus, the rendered commands run
against stand-in endpoints for nagios, icinga2 and sensu.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .. import catalog, inventory
from . import Result, promtool_tests, standin

INTERFACE = catalog.INTERFACE
RUNNERS = {"prometheus": promtool_tests.run, "nagios": standin.run}


def run(ctx, bundles) -> list[Result]:
    results: list[Result] = []
    for bundle in bundles:
        tool = (bundle.data.get("tool") or {}).get("name")
        with tempfile.TemporaryDirectory(prefix="opsbundle-checks-") as tmp:
            work = Path(tmp)
            try:
                files = inventory.render(ctx, bundle, work / "render")
            except inventory.InventoryError as exc:
                results.append(Result(bundle.ref, "catalog coverage", "render", False, str(exc)))
                continue
            results += coverage_results(ctx, bundle, tool, files)
            runner = RUNNERS.get(tool)
            if runner is not None:
                results += runner(ctx, bundle, files, work)
    return results


def coverage_results(ctx, bundle, tool, files) -> list[Result]:
    known = catalog.checks(ctx.registry)
    gaps = catalog.not_implemented(bundle)
    try:
        emitted = catalog.emitted(tool, [(d, p.read_text(encoding="utf-8")) for d, p in files])
    except (KeyError, ValueError) as exc:
        return [Result(bundle.ref, "catalog coverage", "read IDs", False, str(exc))]
    results = []
    for cid in known:
        if cid in gaps:
            ok = cid not in emitted
            detail = "" if ok else "listed as not implemented but emitted"
        else:
            ok = cid in emitted
            detail = "" if ok else "not emitted and not listed as not implemented"
        results.append(Result(bundle.ref, "catalog coverage", cid, ok, detail))
    for cid in sorted(emitted - known.keys()):
        results.append(
            Result(bundle.ref, "catalog coverage", cid, False, "emitted but not in the catalog")
        )
    return results

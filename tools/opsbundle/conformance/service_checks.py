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

from .. import catalog, coverage, inventory
from . import (
    icinga2_commands,
    nagios_commands,
    promtool_tests,
    sensu_commands,
    zabbix_import,
)
from .result import Result

INTERFACE = catalog.INTERFACE
RUNNERS = {
    "prometheus": promtool_tests.run,
    "nagios": nagios_commands.run,
    "icinga2": icinga2_commands.run,
    "sensu": sensu_commands.run,
    "zabbix": zabbix_import.run,
}


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
            results += coverage_results(ctx, bundle, work / "variants")
            runner = RUNNERS.get(tool)
            if runner is not None:
                results += runner(ctx, bundle, files, work)
    return results


def coverage_results(ctx, bundle, out) -> list[Result]:
    try:
        cells = coverage.status(ctx, bundle, coverage.render_variants(ctx, bundle, out))
    except (inventory.InventoryError, KeyError, ValueError) as exc:
        return [Result(bundle.ref, "catalog coverage", "read IDs", False, str(exc))]
    return [
        Result(bundle.ref, "catalog coverage", cid, cell in coverage.GOOD, f"{cell}: {reason}")
        for cid, (cell, reason) in cells.items()
    ]

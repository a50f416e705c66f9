"""Conformance results from `opsbundle test --format json`, for the
interface pages (`opsbundle site --results FILE`).

One result is one case of a suite on one implementation, the fields of
conformance.result.Result: bundle, kind, case, ok, detail. The document is
`opsbundle test --format json`'s "opsbundle-test/1" (results under
"suites", each suite and result naming its `interface`); a plain list of
results, or one under "results", is read too. A result without an interface
belongs to the one interface of its bundle that has a suite.
A file that is not such a document is refused with the reason, before
anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import conformance

# Refuse absurd input before json.loads holds it all.
MAX_BYTES = 64 * 1024 * 1024
FORMAT = "opsbundle-test/1"  # the major version this reader knows; fields only grow


class ResultsError(Exception):
    """The results file cannot be read as conformance results."""


@dataclass(frozen=True)
class Case:
    interface: str
    bundle: str
    kind: str
    case: str
    ok: bool
    detail: str


@dataclass
class Results:
    source: str  # the file's name, as given
    cases: list[Case]

    def of(self, interface: str) -> list[Case]:
        return [c for c in self.cases if c.interface == interface]

    def of_bundle(self, bundle: str) -> list[Case]:
        return [c for c in self.cases if c.bundle == bundle]

    def interfaces(self) -> list[str]:
        return sorted({c.interface for c in self.cases})

    @property
    def failed(self) -> int:
        return sum(not c.ok for c in self.cases)


def tally(cases: list[Case]) -> list[tuple[str, dict[str, tuple[int, int]]]]:
    """[(kind, {bundle: (passed, total)})], kinds sorted: the matrix that
    `opsbundle test` prints, for one interface."""
    table: dict[str, dict[str, list[int]]] = {}
    for c in cases:
        cell = table.setdefault(c.kind, {}).setdefault(c.bundle, [0, 0])
        cell[0] += c.ok
        cell[1] += 1
    return [(k, {b: (p, t) for b, (p, t) in sorted(v.items())}) for k, v in sorted(table.items())]


def _ok(item: dict, where: str) -> bool:
    if isinstance(item.get("ok"), bool):
        return item["ok"]
    status = str(item.get("status", item.get("outcome", ""))).lower()
    if status in ("pass", "passed", "ok", "success"):
        return True
    if status in ("fail", "failed", "failure", "error"):
        return False
    raise ResultsError(f"{where}: no 'ok' (true/false) or pass/fail 'status'")


def _items(data) -> list[tuple[dict, str]]:
    """(result, interface from its enclosing suite, if any)."""
    if isinstance(data, list):
        return [(item, "") for item in data]
    if not isinstance(data, dict):
        raise ResultsError("expected a JSON list of results or an object with 'results'")
    if "format" in data and data["format"] != FORMAT:
        raise ResultsError(f"format {data['format']!r} is not {FORMAT!r}, which this site reads")
    if isinstance(data.get("results"), list):
        return [(item, "") for item in data["results"]]
    if isinstance(data.get("suites"), list):
        out = []
        for suite in data["suites"]:
            if isinstance(suite, dict) and isinstance(suite.get("results"), list):
                out += [(item, str(suite.get("interface", ""))) for item in suite["results"]]
        return out
    raise ResultsError("expected a JSON list of results or an object with 'results'")


def _interface_of(ctx, bundle: str, cache: dict) -> str:
    if bundle not in cache:
        found = ctx.bundle(bundle)
        suites = [i for i in (found.implements() if found else {}) if i in conformance.SUITES]
        cache[bundle] = suites[0] if len(suites) == 1 else ""
    return cache[bundle]


def read(ctx, path: Path) -> Results:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ResultsError(f"{path}: larger than {MAX_BYTES // 2**20} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not UTF-8 text") from None
    except ValueError as exc:
        raise ResultsError(f"{path}: not JSON: {exc}") from None
    cache: dict[str, str] = {}
    cases = []
    for n, (item, suite_iface) in enumerate(_items(data)):
        where = f"{path}: result {n + 1}"
        if not isinstance(item, dict):
            raise ResultsError(f"{where}: not an object")
        missing = [k for k in ("bundle", "kind", "case") if not isinstance(item.get(k), str)]
        if missing:
            raise ResultsError(f"{where}: no {', '.join(missing)}")
        iface = str(item.get("interface") or suite_iface or "")
        iface = iface or _interface_of(ctx, item["bundle"], cache) or "(unattributed)"
        cases.append(
            Case(
                interface=iface,
                bundle=item["bundle"],
                kind=item["kind"],
                case=item["case"],
                ok=_ok(item, where),
                detail=str(item.get("detail") or ""),
            )
        )
    return Results(path.name, cases)

"""The service-checks coverage matrix as the site shows it: check by tool.

The cells are exactly what `opsbundle coverage` decides (coverage.collect:
each implementation rendered from the example inventory, its catalog IDs read
from the rendered files, gaps and their reasons from its manifest); this
module only arranges them. Equal reasons share one numbered note, so a
tool that leaves ten checks out for one reason says it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import catalog, conformance, coverage


@dataclass
class Cell:
    state: str  # yes, gap, MISSING, UNLISTED, UNKNOWN, or "-" (not applicable)
    reason: str = ""
    note: int | None = None  # number of the note that gives the reason

    @property
    def ok(self) -> bool:
        return self.state in coverage.GOOD


@dataclass
class Matrix:
    checks: dict[str, dict]  # catalog order
    tools: list[str]  # implementation bundle refs, the columns
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # IDs emitted but not in the catalog

    def cell(self, check_id: str, tool: str) -> Cell:
        return self.cells.get((check_id, tool), Cell("-"))

    def rows(self) -> list[str]:
        return [*self.checks, *self.extra]

    def service_of(self, check_id: str) -> str:
        entry = self.checks.get(check_id)
        return str(entry.get("service")) if isinstance(entry, dict) else "(not in the catalog)"

    def by_service(self) -> list[tuple[str, list[str]]]:
        """Rows grouped by service, services in first-appearance order."""
        groups: dict[str, list[str]] = {}
        for cid in self.rows():
            groups.setdefault(self.service_of(cid), []).append(cid)
        return list(groups.items())

    def implemented(self, tool: str) -> int:
        return sum(self.cell(cid, tool).state == "yes" for cid in self.checks)


def build(ctx) -> Matrix:
    checks = catalog.checks(ctx.registry)
    tools = [b.ref for b in conformance.implementations(ctx, catalog.INTERFACE)]
    matrix = Matrix(checks=dict(checks), tools=tools, problems=catalog.problems(ctx.registry))
    if not tools:
        return matrix
    table = coverage.collect(ctx, [ctx.bundle(ref) for ref in tools])
    numbers: dict[str, int] = {}
    for tool in tools:
        for cid, (state, reason) in table[tool].items():
            note = None
            if state != "yes":
                if reason not in numbers:
                    matrix.notes.append(reason)
                    numbers[reason] = len(matrix.notes)
                note = numbers[reason]
            matrix.cells[(cid, tool)] = Cell(state, reason, note)
            if cid not in checks and cid not in matrix.extra:
                matrix.extra.append(cid)
    return matrix

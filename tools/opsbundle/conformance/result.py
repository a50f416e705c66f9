"""One case of a conformance suite, run on one implementation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    bundle: str
    kind: str
    case: str
    ok: bool
    detail: str = ""
    interface: str = ""  # the suite's interface, set by the runner

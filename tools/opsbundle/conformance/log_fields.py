"""log-fields/v1: every parser bundle, run on its own rules, must turn each
sample of interfaces/log-fields/v1/conformance/samples/<kind>/<service>/<program>.log
into exactly the events of the .json beside it.

The oslo.log samples are written by the real oslo.log (generate_oslo.py); the
others follow the formats their programs document. A case is one expected
event; a bundle that cannot run (engine missing, broken pattern) fails every
case with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import logparse
from .result import Result

INTERFACE = "log-fields/v1"


def samples(root: Path) -> list[tuple[str, Path]]:
    base = root / "interfaces" / "log-fields" / "v1" / "conformance" / "samples"
    return [(p.relative_to(base).parts[0], p) for p in sorted(base.glob("*/*/*.log"))]


def _diff(got: dict, want: dict) -> str:
    keys = sorted(set(got) | set(want))
    return "; ".join(
        f"{k}: got {got.get(k, '(absent)')!r}, want {want.get(k, '(absent)')!r}"
        for k in keys
        if got.get(k) != want.get(k)
    )


def run(ctx, bundles) -> list[Result]:
    cases = samples(ctx.root)
    results: list[Result] = []
    for bundle in bundles:
        files = [
            (
                logparse.host_path(ctx, bundle, path.parent.name, path.name),
                path.read_text(encoding="utf-8").splitlines(),
            )
            for _, path in cases
        ]
        try:
            events = logparse.parse(ctx, bundle, files)
            failure = ""
        except logparse.ParseError as exc:
            events, failure = [[] for _ in cases], str(exc)
        for (kind, path), got in zip(cases, events, strict=True):
            want = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            name = f"{path.parent.name}/{path.name}"
            if failure:
                results += [
                    Result(bundle.ref, kind, f"{name}#{i + 1}", False, failure)
                    for i in range(len(want))
                ]
                continue
            for i in range(max(len(want), len(got))):
                if i >= len(got):
                    detail = "no such event: records folded together or lost"
                    results.append(Result(bundle.ref, kind, f"{name}#{i + 1}", False, detail))
                elif i >= len(want):
                    detail = f"extra event: {got[i].get('message', '')[:80]!r}"
                    results.append(Result(bundle.ref, kind, f"{name}#{i + 1}", False, detail))
                else:
                    detail = _diff(got[i], want[i])
                    results.append(Result(bundle.ref, kind, f"{name}#{i + 1}", not detail, detail))
    return results

"""Conformance suites: the proof that implementations of an interface can
replace one another. `opsbundle test` runs them.

One module per interface, registered in `SUITES` by interface ref. A suite
module has `INTERFACE` ("log-fields/v1") and `run(ctx, bundles)`, which gets
every bundle implementing that interface and returns a `Result` per case and
implementation. An interface the renderer implements for every bundle
(render-index/v1) says which bundles it covers with `bundles(ctx, names)`.
A case has a kind (the row of the matrix `opsbundle test` prints:
"oslo.log 8-token context", "alert fires", ...).
"""

from __future__ import annotations

from .result import Result

SUITES: dict = {}  # filled by _register() at the end


def implementations(ctx, interface: str, names: set[str] | None = None):
    for ref in sorted(ctx.bundle_dirs):
        bundle = ctx.bundle(ref)
        if bundle is None or bundle.manifest is None or interface not in bundle.implements():
            continue
        if names and ref not in names:
            continue
        yield bundle


def run(ctx, interfaces: list[str] | None = None, names: set[str] | None = None) -> list[Result]:
    results: list[Result] = []
    for ref, suite in sorted(SUITES.items()):
        if interfaces and ref not in interfaces:
            continue
        choose = getattr(suite, "bundles", None)
        bundles = list(choose(ctx, names) if choose else implementations(ctx, ref, names))
        if bundles:
            results += suite.run(ctx, bundles)
    return results


def matrix(results: list[Result]) -> str:
    """Implementation by case kind, pass/total in each cell, failures below."""
    bundles = sorted({r.bundle for r in results})
    kinds = sorted({r.kind for r in results})
    width = max([len(k) for k in kinds] + [4])
    cols = [max(len(b), 7) for b in bundles]
    lines = [" " * width + "  " + "  ".join(b.rjust(c) for b, c in zip(bundles, cols, strict=True))]
    for kind in kinds:
        cells = []
        for b, c in zip(bundles, cols, strict=True):
            rs = [r for r in results if r.bundle == b and r.kind == kind]
            good = sum(r.ok for r in rs)
            cell = f"{good}/{len(rs)}" if rs else "-"
            cells.append((cell if good == len(rs) else cell + " !").rjust(c))
        lines.append(kind.ljust(width) + "  " + "  ".join(cells))
    for r in results:
        if not r.ok:
            lines.append(f"FAIL {r.bundle} [{r.kind}] {r.case}: {r.detail}")
    failed = sum(not r.ok for r in results)
    lines.append(f"{'FAIL' if failed else 'ok'}: {len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def _register() -> None:
    from . import log_fields, package_build, render_index, service_checks

    for suite in (log_fields, package_build, render_index, service_checks):
        SUITES[suite.INTERFACE] = suite


_register()

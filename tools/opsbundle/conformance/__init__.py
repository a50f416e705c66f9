"""Conformance suites: the proof that implementations of an interface can
replace one another. `opsbundle test` runs them.

One module per interface, registered in `SUITES` by interface ref. A suite
module has `INTERFACE` ("log-fields/v1") and `run(ctx, bundles)`, which gets
bundles implementing that interface and returns a `Result` per case and
implementation. A case has a kind (the row of the per-kind matrix: "oslo.log
8-token context", "alert fires", ...).

`opsbundle test` runs one job per suite and implementation, in parallel
processes (forked once the registry is read, so they share it). Jobs that
share a daemon or anything else machine-wide say so: a suite module may have
`lane(bundle) -> str`, and jobs of one lane run one after another; every
other job runs beside the rest. A check that looks at the process table
runs in a process table of its own (isolated.py), so its job needs no lane
for that. Each job's outcome is reported as
it finishes (`on_done`), so a long run shows its progress.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass, field

from .result import Result

SUITES: dict = {}  # filled by _register() at the end
_CTX = None  # the context the forked workers share


@dataclass(frozen=True)
class Job:
    """One suite on one implementation."""

    interface: str
    bundle: str
    lane: str


@dataclass
class Outcome:
    job: Job
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.results)


def implementations(ctx, interface: str, names: set[str] | None = None):
    for ref in sorted(ctx.bundle_dirs):
        bundle = ctx.bundle(ref)
        if bundle is None or bundle.manifest is None or interface not in bundle.implements():
            continue
        if names and ref not in names:
            continue
        yield bundle


def tool_bundles(ctx, names: set[str] | None = None):
    """Every tool bundle, for suites that need no interface (EVERY_TOOL_BUNDLE)."""
    for ref in sorted(ctx.bundle_dirs):
        bundle = ctx.bundle(ref)
        if bundle is None or bundle.manifest is None or bundle.is_stack:
            continue
        if names and ref not in names:
            continue
        yield bundle


def jobs(ctx, interfaces: list[str] | None = None, names: set[str] | None = None) -> list[Job]:
    found = []
    for ref, suite in sorted(SUITES.items()):
        if interfaces and ref not in interfaces:
            continue
        lane = getattr(suite, "lane", None)
        if getattr(suite, "EVERY_TOOL_BUNDLE", False):
            bundles = tool_bundles(ctx, names)
        else:
            bundles = implementations(ctx, ref, names)
        for bundle in bundles:
            name = lane(bundle) if lane is not None else ""
            found.append(Job(ref, bundle.ref, name or f"{ref} {bundle.ref}"))
    return found


def job_key(job: Job) -> str:
    return f"{job.interface} {job.bundle}"


def run_job(ctx, job: Job) -> Outcome:
    """One job, in this process; a suite that breaks fails its job, with why."""
    start = time.monotonic()
    suite = SUITES[job.interface]
    try:
        results = suite.run(ctx, [ctx.bundle(job.bundle)])
    except Exception as exc:  # a bug in a suite must not hide every other suite's results
        where = traceback.extract_tb(exc.__traceback__)[-1]
        detail = f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"
        results = [Result(job.bundle, "suite", job.interface, False, detail)]
    results = [dataclasses.replace(r, interface=job.interface) for r in results]
    return Outcome(job, results, time.monotonic() - start)


def run(ctx, interfaces: list[str] | None = None, names: set[str] | None = None) -> list[Result]:
    """Every result, serially, in job order (what tests use)."""
    return [r for job in jobs(ctx, interfaces, names) for r in run_job(ctx, job).results]


def _in_worker(job: Job) -> Outcome:
    return run_job(_CTX, job)


def run_parallel(
    ctx, todo: list[Job], workers: int, on_done=None, seconds: dict | None = None
) -> list[Outcome]:
    """Every job, each lane's one after another and the lanes side by side in
    up to `workers` processes; `on_done(outcome)` as each job finishes.
    `seconds` (job -> how long it took last time) starts the longest lanes
    first, so that none starts last; a job never timed counts as the longest.
    Outcomes come back in job order."""
    global _CTX
    lanes: dict[str, list[Job]] = {}
    for job in todo:
        lanes.setdefault(job.lane, []).append(job)
    took = seconds or {}
    queues = sorted(
        lanes.values(),
        key=lambda q: sum(took.get(job_key(j), float("inf")) for j in q),
        reverse=True,
    )
    outcomes: dict[Job, Outcome] = {}
    if workers <= 1 or len(queues) <= 1:
        for queue in queues:
            for job in queue:
                outcomes[job] = run_job(ctx, job)
                if on_done:
                    on_done(outcomes[job])
        return [outcomes[j] for j in todo]
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from ..render import compile_templates

    for ref in dict.fromkeys(job.bundle for job in todo):
        bundle = ctx.bundle(ref)
        if bundle is not None and bundle.manifest is not None:
            compile_templates(bundle)  # the workers fork with them compiled
    _CTX = ctx
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(queues)), mp_context=multiprocessing.get_context("fork")
        ) as pool:
            running = {}
            for queue in queues:
                running[pool.submit(_in_worker, queue[0])] = queue
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    queue = running.pop(future)
                    job = queue.pop(0)
                    outcomes[job] = future.result()
                    if on_done:
                        on_done(outcomes[job])
                    if queue:
                        running[pool.submit(_in_worker, queue[0])] = queue
    finally:
        _CTX = None
    return [outcomes[j] for j in todo]


def summaries(results: list[Result]) -> list[str]:
    """One line of figures for each suite that has them (the injection suite)."""
    lines = []
    for ref, suite in sorted(SUITES.items()):
        figures = getattr(suite, "figures", None)
        mine = [r for r in results if r.kind in getattr(suite, "KINDS", ())]
        if figures and mine:
            lines.append(f"{ref}: " + ", ".join(f"{k} {v}" for k, v in figures(mine).items()))
    return lines


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
    from . import injection, log_fields, package_build, render_index, service_checks

    for suite in (log_fields, package_build, service_checks, injection, render_index):
        SUITES[suite.INTERFACE] = suite


_register()

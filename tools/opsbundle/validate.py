"""One validation run: pick the bundles, run every check family on each, collect
one report. Large runs fan out over all cores; the registry of interfaces is read
once, before the workers fork, and shared."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from . import engines, repo
from .bundle import load_bundle
from .cache import ResultCache, bundle_key
from .checks import Context, bump, run_all
from .findings import Finding, Report
from .interfaces import Registry

# Below this many bundles a process pool costs more than it saves.
PARALLEL_MIN = 200
_CTX: Context | None = None


@dataclass
class Options:
    names: list[str] = dataclasses.field(default_factory=list)
    changed_since: str | None = None
    jobs: int = 0  # 0: one per core
    cache: bool = True
    native: bool = True
    require_native: bool = False


def run(root: Path, opts: Options) -> Report:
    registry = Registry(root)
    everything = repo.discover(root)
    report = Report()
    report.findings += [dataclasses.replace(f, bundle="interfaces") for f in registry.problems]
    targets = repo.select(root, everything, opts.names) if opts.names else everything
    touched: list[repo.BundleDir] = []
    if opts.changed_since:
        base = repo.merge_base(root, opts.changed_since)
        touched, outside = repo.changed_bundles(root, everything, base)
        if not outside:
            wanted = {b.ref for b in touched}
            targets = [b for b in targets if b.ref in wanted]
            report.notes.append(
                f"{len(targets)} bundle(s) changed since {opts.changed_since} ({base[:12]})"
            )
        else:
            report.notes.append(
                f"files outside bundles changed since {opts.changed_since}: checking all"
            )
    ctx = Context(root, registry, {b.ref: b for b in everything})
    report.checked = [b.ref for b in targets]
    report.findings += _check_cached(ctx, targets, opts)
    if opts.native or opts.require_native:
        failed = {f.bundle for f in report.errors}
        clean = (
            b
            for b in (
                load_bundle(root, t) for t in targets if not t.is_stack and t.ref not in failed
            )
            if b.manifest is not None
        )
        found, notes = engines.run(ctx, clean, opts.require_native)
        report.findings += found
        report.notes += notes
    if opts.changed_since:
        for bdir in touched:
            bundle = ctx.bundle(bdir.ref)
            if bundle is not None and bundle.manifest is not None:
                found = bump.check(root, base, bundle)
                report.findings += [dataclasses.replace(f, bundle=bdir.ref) for f in found]
    return report


def _check_cached(ctx: Context, targets: list[repo.BundleDir], opts: Options) -> list[Finding]:
    cache = ResultCache(ctx.root, enabled=opts.cache)
    found: list[Finding] = []
    misses: list[tuple[repo.BundleDir, str]] = []
    for bdir in targets:
        if bdir.is_stack or not cache.enabled:
            misses.append((bdir, ""))
            continue
        key = bundle_key(bdir.path)
        hit = cache.get(bdir.ref, key)
        if hit is None:
            misses.append((bdir, key))
        else:
            found += hit
    fresh = _check_all(ctx, [b for b, _ in misses], opts.jobs)
    by_ref: dict[str, list[Finding]] = {b.ref: [] for b, _ in misses}
    for f in fresh:
        by_ref.setdefault(f.bundle, []).append(f)
    for bdir, key in misses:
        if key:
            cache.put(bdir.ref, key, by_ref[bdir.ref])
    cache.save()
    return found + fresh


def _check_one(bdir: repo.BundleDir) -> list[Finding]:
    assert _CTX is not None
    # read afresh and let go afterwards: keeping 10,000 node trees costs memory
    return run_all(_CTX, load_bundle(_CTX.root, bdir))


def _check_all(ctx: Context, targets: list[repo.BundleDir], jobs: int) -> list[Finding]:
    global _CTX
    _CTX = ctx
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(targets) < PARALLEL_MIN:
        return [f for bdir in targets for f in _check_one(bdir)]
    import multiprocessing  # only large runs pay for it

    # fork shares the registry and parsed schemas with the workers for free
    mp = multiprocessing.get_context("fork")
    chunk = max(16, len(targets) // (jobs * 8))
    with mp.Pool(jobs) as pool:
        results = pool.map(_check_one, targets, chunksize=chunk)
    return [f for found in results for f in found]

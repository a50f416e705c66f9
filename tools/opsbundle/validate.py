"""One validation run: pick the bundles, run every check family and the real
engines on each, collect one report.

Each bundle goes through one pipeline, in one process: read, check, and (when
it is clean and its tool has an engine) render into the run's scratch folder,
while its templates are still compiled. The engines then check every rendered
bundle at once (engines/). Results are cached by content (cache.py) at two
levels: by the bundle's own files, so a warm run reads no YAML, renders
nothing and starts no engine; and, for the engines, by the rendered files, so
a change that leaves them alone starts no engine either. Large runs fan out
over all cores (the registry of interfaces is read once, before the workers
fork, and shared).
"""

from __future__ import annotations

import dataclasses
import gc
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import repo
from .cache import ResultCache, bundle_key, digest
from .findings import ERROR, Finding, Report

# Below this many bundles a process pool costs more than it saves.
PARALLEL_MIN = 200
# From this many bundles to check, validate says how far it is (on stderr).
PROGRESS_MIN = 100
INTERFACES = "interfaces"  # the name registry problems are reported (and cached) under
_RUN: _Pipeline | None = None  # the pipeline the forked workers share


@dataclass
class Options:
    names: list[str] = dataclasses.field(default_factory=list)
    changed_since: str | None = None
    jobs: int = 0  # 0: one per core
    cache: bool = True
    native: bool = True
    require_native: bool = False


@dataclass
class _Todo:
    """What one bundle still needs this run: its checks, its render for the
    engines, or both. `clean` says whether cached checks found no error."""

    bdir: repo.BundleDir
    checks: bool
    native: bool
    clean: bool = True


@dataclass
class _Done:
    ref: str
    findings: list[Finding] | None  # None: the checks came from the cache
    tool: str
    files: list | None = None  # rendered (shown, path, dest) for the engines, or None
    unrendered: str = ""  # why a clean bundle did not render (the engines cannot run)
    bundle: object = None  # kept for the engines when checked in this process

    def clean(self, todo: _Todo) -> bool:
        if self.findings is None:
            return todo.clean
        return not any(f.severity == ERROR for f in self.findings)


class _Pipeline:
    """Read, check and render one bundle (in a worker process for large runs)."""

    def __init__(self, ctx, scratch: Path | None, absent: dict[str, list[str]]):
        self.ctx, self.scratch, self.absent = ctx, scratch, absent
        self.in_worker = False

    def __call__(self, todo: _Todo) -> _Done:
        from .bundle import load_bundle
        from .checks import run_all
        from .engines import ENGINES, tool_of

        # read afresh and let go afterwards: keeping 10,000 node trees costs memory
        bundle = load_bundle(self.ctx.root, todo.bdir)
        found = run_all(self.ctx, bundle) if todo.checks else None
        tool = (tool_of(bundle) or "") if bundle.manifest is not None else ""
        done = _Done(todo.bdir.ref, found, tool)
        if (
            todo.native
            and done.clean(todo)
            and bundle.manifest is not None
            and tool in ENGINES
            and not self.absent.get(tool)
            and self.scratch is not None
        ):
            from .render import RenderError, render_files

            try:
                entries = render_files(self.ctx, bundle, bundle.sample_values(), self.scratch)
            except RenderError as exc:  # the template checks said why
                done.unrendered = str(exc)
            else:
                done.files = [
                    (f"{bundle.ref}/{e['source_file']}", self.scratch / e["source"], e["dest"])
                    for e in entries
                ]
                # what the checks worked out (paths, project data) serves the engines too;
                # from a worker the parent reads the bundle again instead
                done.bundle = None if self.in_worker else bundle
        return done


def run(root: Path, opts: Options) -> Report:
    everything = repo.discover(root)
    report = Report()
    targets = repo.select(root, everything, opts.names) if opts.names else everything
    touched: list[repo.BundleDir] = []
    cache = ResultCache(root, enabled=opts.cache)
    interfaces = cache.get("checks", INTERFACES, cache.base)
    registry = None
    if opts.changed_since:
        # git answers (its processes) while this one reads the interfaces and
        # loads the checks, which an uncached run needs whatever git says
        asked = _Background(_changed, root, everything, opts.changed_since)
        if interfaces is None:
            from . import checks  # noqa: F401

            registry = _registry(root)
        base, touched, outside = asked.result()
        if not outside:
            wanted = {b.ref for b in touched}
            # a site's own bundles are not in REF's history: each is checked
            site = [b for b in targets if _from_site(root, b)]
            changed = [b for b in targets if b.ref in wanted]
            targets = sorted([*changed, *site], key=lambda b: b.ref)
            report.notes.append(
                f"{len(changed)} bundle(s) changed since {opts.changed_since} ({base[:12]})"
                + (f"; {len(site)} site bundle(s) (--path) checked too" if site else "")
            )
        else:
            report.notes.append(
                f"files outside bundles changed since {opts.changed_since}: checking all"
            )
    report.checked = [b.ref for b in targets]
    native = opts.native or opts.require_native
    keys = _Keys(everything)
    todo, found, native_hits = _from_cache(cache, keys, targets, native, opts.require_native)
    report.findings += found
    if native_hits:
        report.notes.append(
            f"engines: {native_hits} bundle(s) unchanged since they were checked (from the cache)"
        )
    ctx = None
    if todo or interfaces is None:
        from .checks import Context

        registry = registry or _registry(root)
        interfaces = [dataclasses.replace(f, bundle=INTERFACES) for f in registry.problems]
        cache.put("checks", INTERFACES, cache.base, interfaces)
        ctx = Context(root, registry, {b.ref: b for b in everything})
    report.findings += interfaces
    if todo:
        found, notes = _check(ctx, todo, opts, cache, keys)
        report.findings += found
        report.notes += notes
    if opts.changed_since and touched:
        from .checks import Context, bump

        ctx = ctx or Context.for_repo(root)
        for bdir in touched:
            bundle = ctx.bundle(bdir.ref)
            if bundle is not None and bundle.manifest is not None:
                found = bump.check(root, base, bundle)
                report.findings += [dataclasses.replace(f, bundle=bdir.ref) for f in found]
    cache.save({b.ref for b in everything} | {INTERFACES})
    report.notes += cache.notes
    return report


def _from_site(root: Path, bundle: repo.BundleDir) -> bool:
    """A bundle of a site's folder (--path, $OPSBUNDLES_PATH), not of the
    repository: repo.discover lays both out as <folder>/<domain>/<name>."""
    return bundle.path.parent.parent != root


def _changed(root: Path, everything, since: str):
    """The merge-base with `since`, the bundles changed since it, and whether
    anything outside bundles changed (repo.changed_bundles)."""
    base = repo.merge_base(root, since)
    return (base, *repo.changed_bundles(root, everything, base))


class _Background:
    """One call in a thread, its result (or its exception) when asked: a bare
    thread, as concurrent.futures would import logging and more for it on the
    path a `--changed-since` run takes before its first check."""

    def __init__(self, fn, *args):
        self._result: tuple = ()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn, args) -> None:
        try:
            self._result = fn(*args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def _registry(root: Path):
    from .interfaces import Registry

    return Registry(root)


class _Keys:
    """Each bundle's content key, computed at most once per run."""

    def __init__(self, everything: list[repo.BundleDir]):
        self.everything = everything
        self.trees: dict[str, str] = {}
        self.engines: dict[str, str] = {}  # tool -> the engine's identity, once per run
        self._tools_digest: str | None = None

    def tree(self, bdir: repo.BundleDir) -> str:
        if bdir.ref not in self.trees:
            self.trees[bdir.ref] = bundle_key(bdir.path)
        return self.trees[bdir.ref]

    def checks(self, bdir: repo.BundleDir) -> str:
        if not bdir.is_stack:
            return self.tree(bdir)
        # a stack reads its members' manifests: any tool bundle's change re-checks it
        if self._tools_digest is None:
            self._tools_digest = digest(
                *(f"{b.ref}={self.tree(b)}" for b in self.everything if not b.is_stack)
            )
        return digest(self.tree(bdir), self._tools_digest)

    def native(self, bdir: repo.BundleDir, tool: str, require: bool) -> str:
        if tool not in self.engines:
            from .engines import ENGINES, identity

            self.engines[tool] = identity(ENGINES[tool]) if tool in ENGINES else "no engine"
        return digest(self.tree(bdir), tool, self.engines[tool], "required" if require else "")


def _from_cache(cache, keys: _Keys, targets, native: bool, require: bool):
    """Findings the cache holds for `targets`, what is left to do, and how
    many bundles' engine results came from the cache."""
    from .engines import ENGINES  # the table only: no engine module is imported

    todo: list[_Todo] = []
    found: list[Finding] = []
    native_hits = 0
    for bdir in targets:
        # a key hashes the bundle's files: --no-cache computes none
        checked = cache.get("checks", bdir.ref, keys.checks(bdir)) if cache.enabled else None
        clean = checked is None or not any(f.severity == ERROR for f in checked)
        engines = None
        if native and not bdir.is_stack and checked is not None and clean:
            tool = cache.tool("checks", bdir.ref)
            engines = cache.get("native", bdir.ref, keys.native(bdir, tool, require))
        wants_native = native and not bdir.is_stack and clean and engines is None
        if checked is not None:
            found += checked
        if engines is not None:
            found += engines
            native_hits += cache.tool("checks", bdir.ref) in ENGINES
        if checked is None or wants_native:
            todo.append(_Todo(bdir, checked is None, wants_native, clean))
    return todo, found, native_hits


def _check(ctx, todo: list[_Todo], opts: Options, cache, keys: _Keys):
    from . import engines

    found: list[Finding] = []
    notes: list[str] = []
    import shutil
    import tempfile

    absent: dict[str, list[str]] = {}
    scratch = None
    if any(t.native for t in todo):
        absent = {tool: engines.missing(engines.ENGINES[tool]) for tool in engines.ENGINES}
        scratch = Path(tempfile.mkdtemp(prefix="opsbundle-validate-"))
    progress = None
    if len(todo) >= PROGRESS_MIN:
        from .progress import Progress

        progress = Progress(len(todo), "validate")
    try:
        done = _pipeline(_Pipeline(ctx, scratch, absent), todo, opts.jobs, progress)
        items = []
        for t, d in zip(todo, done, strict=True):
            bdir = t.bdir
            if d.findings is not None:
                found += d.findings
                if cache.enabled:
                    cache.put("checks", d.ref, keys.checks(bdir), d.findings, tool=d.tool)
            if d.unrendered:
                message = f"the engines cannot run, it does not render: {d.unrendered}"
                found.append(Finding("NAT001", f"{d.ref}/manifest.yaml", message, bundle=d.ref))
            elif d.files is not None:
                items.append(engines.Rendered(d.ref, d.files, d.bundle, ctx=ctx, tool=d.tool))
            elif t.native and absent.get(d.tool) and d.clean(t):  # for its NAT002 or note
                items.append(engines.Rendered(d.ref, [], ctx=ctx, tool=d.tool))
        on_done = (lambda line: progress.step(f"validate: {line}", 0)) if progress else None
        outcome = engines.check_rendered(ctx, items, opts.require_native, cache, on_done)
        found += outcome.findings
        notes += outcome.notes
        by_ref: dict[str, list[Finding]] = {}
        for f in outcome.findings:
            by_ref.setdefault(f.bundle, []).append(f)
        unsure = set(outcome.failed)
        for t, d in zip(todo, done, strict=True):
            if not cache.enabled or not t.native or d.ref in unsure or absent.get(d.tool):
                continue
            if d.clean(t) and not d.unrendered:
                key = keys.native(t.bdir, d.tool, opts.require_native)
                cache.put("native", d.ref, key, by_ref.get(d.ref, []), tool=d.tool)
    finally:
        if progress is not None:
            progress.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return found, notes


def _pipeline(pipeline: _Pipeline, todo: list[_Todo], jobs: int, progress=None) -> list[_Done]:
    global _RUN
    jobs = jobs or os.cpu_count() or 1
    tenth = max(1, len(todo) // 10)
    start = time.monotonic()

    def tick(n: int) -> None:
        if progress is not None:
            line = None
            if n % tenth == 0 or n == len(todo):
                seconds = time.monotonic() - start
                line = f"validate: {n}/{len(todo)} bundles checked ({seconds:.1f} s)"
            progress.step(line)

    if jobs == 1 or len(todo) < PARALLEL_MIN:
        out = []
        for t in todo:
            out.append(pipeline(t))
            tick(len(out))
        return out
    import multiprocessing  # only large runs pay for it

    # fork shares the registry and parsed schemas with the workers for free;
    # frozen, the workers' collector never walks (and so never copies) them
    gc.freeze()
    _RUN = pipeline
    pipeline.in_worker = True
    try:
        mp = multiprocessing.get_context("fork")
        chunk = max(16, len(todo) // (jobs * 8))
        out = []
        # leaving the block terminates the pool: a finished run has closed
        # and joined it first, so only a failed one sends its workers SIGTERM
        with mp.Pool(jobs, initializer=_worker_signals) as pool:
            for done in pool.imap(_in_worker, todo, chunksize=chunk):
                out.append(done)
                tick(len(out))
            pool.close()
            pool.join()
        return out
    finally:
        gc.unfreeze()
        _RUN = None
        pipeline.in_worker = False


def _worker_signals() -> None:
    """SIGTERM kills a worker outright, as Pool.terminate expects. A forked
    worker inherits the command's handler (SIGTERM as SystemExit), and a
    handler's exception only runs at Python's next instruction: a SIGTERM
    that lands just before a worker blocks on the task queue's lock, which
    terminate() holds, leaves it blocked there and the run hung in join."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _in_worker(todo: _Todo) -> _Done:
    assert _RUN is not None
    return _RUN(todo)

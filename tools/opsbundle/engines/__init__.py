"""Real engines that check rendered configuration, one module per tool.

An engine module has
    TOOL       the manifest's tool.name it checks
    BINARY     what notes call it ("rsyslogd")
    BINARIES   every program it runs (default: BINARY alone), found by `which`
    PACKAGE    the Debian package(s) that provide them
    check(batch, workdir) -> [Finding]
               every bundle of its tool in one call (a list of `Rendered`), each
               finding carrying its bundle's ref; the engine starts its programs
               O(1) times per call, whatever the number of bundles, files, units
               or projects: one process for all, each bundle's names kept apart;
               a joint run that fails is halved down to the bundle at fault,
               which then runs alone (`jointly`). Only make, which reads one
               makefile per process, runs once per distinct input (deb.py)
and optionally
    available()  for an engine that is a library, or needs more than programs
    IDENTITY     files besides the programs whose identity its verdicts depend on
    USES         files of this package (besides its own module) whose code its
                 verdicts depend on: they go into its cache key
    prepare(rendered) -> [Finding]
               the pure-Python part: read the rendered files into what the
               programs get (`rendered.inputs`, which then keys the cache instead
               of the files) and report what needs no program
    EMULATED     True when the real tool cannot run here (a strict schema instead)
To add one: write `engines/<tool>.py` and add it to `ENGINES` (by tool name).

`check_rendered` is the entry point for anything that has rendered files
(validate's sample renders, `render --check` on a site's output, the injection
suite): it groups them by tool, answers from the cache what it can (key: the
rendered files and their destinations, or the engine's inputs, plus the
engine's code and its programs' identity), and runs each engine's batch, all
engines at once (they are separate processes, so two cores are used).

Binaries are looked up on PATH, then in `$OPSBUNDLE_NATIVE_PATH` and the
repository's `.venv/opt/bin`, where tools/setup.sh unpacks engines that Debian
ships only inside heavy packages (promtool, amtool).
"""

from __future__ import annotations

import importlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import digest
from ..findings import Finding


class EngineFailed(Exception):
    """The engine's program did not answer as it must (a crash, garbage): every
    bundle of the batch fails with the reason, and nothing is cached."""


class _Lazy(dict):
    """Tool name -> engine module, imported on first use, so that a validate
    run pays only for the engines its bundles need (the packaging ones pull in
    pbr and the whole build pipeline)."""

    def __getitem__(self, tool):
        value = super().__getitem__(tool)
        if isinstance(value, str):
            value = importlib.import_module(f"{__name__}.{value}")
            super().__setitem__(tool, value)
        return value


# manifest tool.name -> module under engines/
ENGINES = _Lazy(
    dpkg="deb",
    fluentd="fluentd",
    icinga2="icinga2",
    logstash="logstash",
    nagios="nagios",
    prometheus="prometheus",
    rpm="rpm",
    rsyslog="rsyslog",
    sensu="sensu",
    splunk="splunk",
)
NATIVE_PATH = "OPSBUNDLE_NATIVE_PATH"
REPO = Path(__file__).resolve().parents[3]
# Longest first: the packaging engines (rpm runs a shell and python3 for the macros of
# every spec) and then the JVM and icinga2 take the longest, so they start first.
_ORDER = ("dpkg", "rpm", "logstash", "icinga2", "fluentd", "prometheus")


class Rendered:
    """One bundle rendered for an engine: its files, each as (the template it
    came from, where findings point; the path it was written to; its
    destination on a host). `values` are what it was rendered with (None: the
    bundle's sample values), for engines that render build inputs themselves.
    `bundle` is read from `ctx` when first needed, so that 10,000 rendered
    bundles waiting for their engines do not hold 10,000 manifests."""

    def __init__(self, ref, files, bundle=None, ctx=None, values=None, tool=None):
        self.ref = ref
        self.files: list[tuple[str, Path, str]] = files
        self.ctx = ctx
        self.values: dict | None = values
        self.inputs: dict[str, str] = {}  # what prepare() read: name -> text
        self._bundle = bundle
        self.tool = tool if tool is not None else tool_of(bundle)

    @property
    def bundle(self):
        if self._bundle is None and self.ctx is not None:
            return self.ctx.bundle(self.ref)
        return self._bundle

    def sample_values(self) -> dict:
        return self.values if self.values is not None else self.bundle.sample_values()


@dataclass
class Outcome:
    """What `check_rendered` found: findings (each with its bundle), notes, and
    how each engine did (for the bench and the notes)."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # tool -> bundles run on the engine
    cached: dict[str, int] = field(default_factory=dict)  # tool -> bundles answered by the cache
    failed: set[str] = field(default_factory=set)  # refs whose engine could not run at all


def placed(label: str, ref: str, by_path: dict, default, message: str, file=None, line=None):
    """NAT001 for one message an engine printed, placed at the template of the
    rendered file it names (else at `default`, a (shown, dest) pair), with every
    scratch path in it put back as the host path it stands for. `by_path` maps
    a rendered path to its (shown, dest)."""
    shown, dest = default
    where = ""
    if file in by_path:
        shown, dest = by_path[file]
        where = f", line {line}"
    for path, (_, host) in by_path.items():
        message = message.replace(path, host)
    return Finding("NAT001", shown, f"{label}: rendered {dest}{where}: {message}", bundle=ref)


def search_path() -> str:
    extra = [os.environ.get(NATIVE_PATH, ""), str(REPO / ".venv" / "opt" / "bin")]
    return os.pathsep.join(p for p in [os.environ.get("PATH", os.defpath), *extra] if p)


def which(binary: str) -> str | None:
    """The full path of a native tool, or None when it is not installed."""
    return shutil.which(binary, path=search_path())


def binaries(engine) -> tuple[str, ...]:
    return tuple(getattr(engine, "BINARIES", (engine.BINARY,)))


def missing(engine) -> list[str]:
    """What an engine needs and this machine lacks: programs, or for an engine
    that is a library, the library (named by BINARY)."""
    absent = [b for b in binaries(engine) if not which(b)]
    available = getattr(engine, "available", None)
    if available is not None and not available():
        absent.insert(0, engine.BINARY)
    return absent


def installed(engine) -> bool:
    return not missing(engine)


def _stat(path: str | None) -> str:
    if not path:
        return "absent"
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return "absent"
    return f"{real}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def identity(engine) -> str:
    """Which engine would answer: its code (the module, this package's shared
    code, the files it USES) and each program and file it runs on, by path,
    size, mtime and inode (an upgrade replaces the file). Nothing is executed,
    so a warm run costs no process start."""
    package = Path(__file__).resolve().parent.parent
    sources = [getattr(engine, "__file__", None), __file__]
    sources += [str(package / rel) for rel in getattr(engine, "USES", ())]
    parts = [f"tool {engine.TOOL}", *(_code(s) for s in sources if s)]
    parts += [f"{b}={_stat(which(b))}" for b in binaries(engine)]
    extra = list(getattr(engine, "IDENTITY", ()))
    if hasattr(engine, "identity_files"):
        extra += engine.identity_files()
    parts += [f"{p}={_stat(str(p))}" for p in extra]
    return digest(*parts)


def _code(path: str) -> str:
    try:
        return digest(Path(path).read_bytes())
    except OSError:
        return "unreadable"


def _files_key(engine_id: str, rendered: Rendered) -> str:
    parts = [engine_id]
    if rendered.inputs:
        for name in sorted(rendered.inputs):
            parts += [name, rendered.inputs[name]]
    else:
        for shown, path, dest in sorted(rendered.files, key=lambda f: (f[2], f[0])):
            try:
                data = path.read_bytes()
            except OSError:
                data = b"\0unreadable\0"
            parts += [shown, dest, data]
    return digest(*parts)


def jointly(members: list, passes, alone) -> list[Finding]:
    """Findings for `members` of one batch from as few program runs as the
    batch allows: `passes(members)` runs them all together (their names kept
    apart) and says whether the program accepted everything; if not, each half
    goes the same way, down to `alone(member)`, the one-bundle check, whose
    findings are exactly those of the bundle by itself. A clean batch costs one
    run; each broken bundle about log2(N) more."""
    if not members:
        return []
    if len(members) == 1:
        return alone(members[0])
    if passes(members):
        return []
    half = len(members) // 2
    return jointly(members[:half], passes, alone) + jointly(members[half:], passes, alone)


def json_lines(argv: list[str], paths: list[Path], timeout: int = 300) -> list[dict]:
    """One helper process over `paths` (the last arguments), which must print one
    JSON line per path, in order (engines' own scripts: rpmspec_check.py,
    debian_check.pl)."""
    import json
    import subprocess

    if not paths:
        return []
    done = subprocess.run([*argv, *map(str, paths)], capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip
    answers = done.stdout.splitlines()
    if done.returncode != 0 or len(answers) != len(paths):
        name = Path(argv[-1]).name
        raise EngineFailed(f"{name}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return [json.loads(a) for a in answers]


def tool_of(bundle) -> str | None:
    tool = bundle.data.get("tool") if bundle is not None else None
    name = tool.get("name") if isinstance(tool, dict) else None
    return name if isinstance(name, str) else None


def _failed(engine, batch: list[Rendered], why: str) -> list[Finding]:
    """An engine that could not run at all (a timeout, a missing shared
    library): every bundle of the batch fails with the reason, uncached."""
    return [
        Finding("NAT001", f"{r.ref}/manifest.yaml", f"{engine.BINARY} failed: {why}", bundle=r.ref)
        for r in batch
    ]


def _run_batch(name: str, engine, batch: list[Rendered]) -> list[Finding]:
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"opsbundle-{name}-") as tmp:
        try:
            return engine.check(batch, Path(tmp))
        except subprocess.TimeoutExpired as exc:
            return _failed(engine, batch, f"no answer within {exc.timeout} s")
        except OSError as exc:
            return _failed(engine, batch, exc.strerror or str(exc))
        except EngineFailed as exc:
            return _failed(engine, batch, str(exc))


def check_rendered(ctx, items: list[Rendered], require: bool, cache=None, on_done=None) -> Outcome:
    """Every engine over already rendered bundles: findings (NAT001/NAT003, or
    NAT002 for a missing engine when `require`), notes saying what ran and what
    was skipped. Bundles of a tool without an engine are ignored. `cache` (a
    ResultCache) answers bundles whose engine inputs are unchanged.
    `on_done(line)` hears of each engine as it finishes (progress).

    Each engine prepares, asks the cache and runs its batch in a thread of its
    own (engines mostly wait on programs), the slowest first, so that the
    packaging engines' rendering overlaps the JVM's start and the rest."""
    out = Outcome()
    by_engine: dict[str, list[Rendered]] = {}
    for item in items:
        name = item.tool
        if name in ENGINES:
            by_engine.setdefault(name, []).append(item)
    order = sorted(by_engine, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    for name in order:
        engine = ENGINES[name]
        absent = missing(engine)
        if absent:
            group = by_engine.pop(name)
            message = (
                f"{', '.join(absent)} not installed (Debian package {engine.PACKAGE}); "
                f"native check skipped for {len(group)} bundle(s)"
            )
            if require:
                out.findings += [
                    Finding("NAT002", f"{r.ref}/manifest.yaml", message, bundle=r.ref)
                    for r in group
                ]
            else:
                out.notes.append(message)
    if by_engine:
        from concurrent.futures import ThreadPoolExecutor, as_completed  # only runs with engines

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(by_engine)) as pool:
            jobs = {
                pool.submit(_engine_job, name, by_engine[name], cache): name
                for name in order
                if name in by_engine
            }
            for future in as_completed(jobs):
                name = jobs[future]
                job = future.result()
                out.findings += job.early + job.hits + job.found
                out.checked[name] = len(job.todo)
                if job.hits_count:
                    out.cached[name] = job.hits_count
                if job.failed:
                    out.failed |= {item.ref for item, _ in job.todo}
                elif cache is not None:
                    by_ref: dict[str, list[Finding]] = {}
                    for f in job.found:
                        by_ref.setdefault(f.bundle, []).append(f)
                    for item, key in job.todo:
                        cache.put("engines", f"{name} {item.ref}", key, by_ref.get(item.ref, []))
                if on_done is not None and job.todo:
                    seconds = time.monotonic() - started
                    on_done(
                        f"{ENGINES[name].BINARY} checked {len(job.todo)} bundle(s) "
                        f"({seconds:.1f} s)"
                    )
    return _notes(out, by_engine)


@dataclass
class _EngineJob:
    """One engine's part of a run, worked out in its own thread."""

    early: list[Finding] = field(default_factory=list)  # from prepare(): no program needed
    hits: list[Finding] = field(default_factory=list)  # answered by the cache
    hits_count: int = 0
    todo: list = field(default_factory=list)  # (item, cache key) the program checked
    found: list[Finding] = field(default_factory=list)
    failed: bool = False


def _engine_job(name: str, group: list[Rendered], cache) -> _EngineJob:
    """prepare() every bundle, answer from the cache what it can, run the
    engine's batch on the rest. Reads the cache, writes nothing shared."""
    engine, job = ENGINES[name], _EngineJob()
    engine_id = identity(engine)
    prepare = getattr(engine, "prepare", None)
    for item in group:
        early = prepare(item) if prepare is not None else []
        job.early += early
        if early and not item.inputs:
            continue  # nothing left for the program to read
        key = _files_key(engine_id, item)
        hit = cache.get("engines", f"{name} {item.ref}", key) if cache else None
        if hit is None:
            job.todo.append((item, key))
        else:
            job.hits += hit
            job.hits_count += 1
    if job.todo:
        job.found = _run_batch(name, engine, [i for i, _ in job.todo])
        job.failed = any(f.message.startswith(f"{engine.BINARY} failed: ") for f in job.found)
    return job


def _notes(out: Outcome, by_engine: dict) -> Outcome:
    for name in sorted(by_engine):
        engine = ENGINES[name]
        if name not in out.checked:
            continue
        ran, hits = out.checked[name], out.cached.get(name, 0)
        note = f"{engine.BINARY} checked {ran + hits} bundle(s)"
        if hits:
            note += f" ({hits} unchanged: from the cache)"
        out.notes.append(note)
        if getattr(engine, "EMULATED", False):
            out.notes.append(f"{name}: emulated check only; the real tool cannot run here")
    return out


def render_samples(ctx, bundles, workdir: Path) -> tuple[list[Rendered], list[Finding]]:
    """Each bundle whose tool has an engine, rendered with its own defaults and
    examples (the values the template check proves) under `workdir/<ref>/`."""
    from ..render import RenderError, render_files  # Jinja2: only when needed

    items, problems = [], []
    for bundle in bundles:
        if tool_of(bundle) not in ENGINES:
            continue
        try:
            entries = render_files(ctx, bundle, bundle.sample_values(), workdir)
        except RenderError as exc:  # the template checks report it; say it once here
            problems.append(
                Finding("NAT001", f"{bundle.ref}/manifest.yaml", f"does not render: {exc}",
                        bundle=bundle.ref)
            )  # fmt: skip
            continue
        files = [
            (f"{bundle.ref}/{e['source_file']}", workdir / e["source"], e["dest"]) for e in entries
        ]
        items.append(Rendered(bundle.ref, files, bundle, ctx))
    return items, problems


def run(ctx, bundles, require: bool, cache=None) -> tuple[list[Finding], list[str]]:
    """Findings from every engine over `bundles` (already free of errors),
    rendered with their sample values, and notes saying what was skipped and why."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="opsbundle-render-") as tmp:
        items, problems = render_samples(ctx, bundles, Path(tmp))
        outcome = check_rendered(ctx, items, require, cache)
    return problems + outcome.findings, outcome.notes

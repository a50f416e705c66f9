"""How the benchmarks measure: a fresh process per run, its wall time and the
peak memory of its process tree, best of N runs, and the table of ratios
against baselines measured in the same run."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return pids


def user_env(cache: Path) -> dict:
    """The environment of a measured opsbundle process: its own result cache
    under `cache`, and Python's bytecode cached (as an installed package's
    is, and not in the tree), whatever this shell says."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "XDG_CACHE_HOME": str(cache), "PYTHONPYCACHEPREFIX": str(cache / "pyc")}


def run(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, peak MiB of the process tree, exit code)"""
    return timed(cmd, env)[:3]


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(cmd: list[str], env: dict) -> tuple[float, float, int, float]:
    """(wall seconds, peak MiB of the process tree, exit code, CPU seconds:
    user + system of the whole tree, every process of it reaped by its parent)"""
    peak = 0
    cpu = _cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_pss_kib(p) for p in _tree(proc.pid)))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    cpu = _cpu() - cpu
    done.set()
    sampler.join()
    if proc.returncode not in (0,):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return wall, peak / 1024, proc.returncode, cpu


def best(cmd, env, repeat):
    runs = [run(cmd, env) for _ in range(repeat)]
    wall = min(r[0] for r in runs)
    return wall, max(r[1] for r in runs), max(r[2] for r in runs)


def paired(measured, baseline, env, repeat, setup=None, by="wall"):
    """Best of `repeat` for both commands, run in turns (baseline, measured,
    baseline, ...) so a machine that gets busier or idler mid-way weighs on
    both alike. `setup()` runs before each measured run (to reset a cache).
    by="cpu" compares CPU seconds instead of wall seconds: for two single
    processes doing the same work, what a loaded machine's waits cannot blur."""
    base, mine = [], []
    run(baseline, env)  # untimed: Python writes its bytecode cache, as it has for a user
    if setup is not None:
        setup()
    run(measured, env)
    for _ in range(repeat):
        base.append(timed(baseline, env))
        if setup is not None:
            setup()
        mine.append(timed(measured, env))
    for name, runs in (("baseline", base), ("measured", mine)):
        if any(r[2] != 0 for r in runs):
            raise SystemExit(f"{name} failed: {' '.join(map(str, measured if mine else baseline))}")
    at = 3 if by == "cpu" else 0
    return min(r[at] for r in mine), min(r[at] for r in base), max(r[1] for r in mine)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


@dataclass
class Ratio:
    """One line of the summary: what was measured against what, and the target."""

    name: str
    measured: float
    baseline: float | None  # None: an absolute target (seconds)
    target: float
    # "x": seconds against the baseline's; "s": seconds; "n": processes started
    # (against the baseline's count, or a count); "MiB": memory against the baseline's
    unit: str = "x"
    by: str = "wall"  # or "cpu": user + system seconds of the process trees
    failed: bool = False  # what was measured did not do its job (a test failed)

    @property
    def value(self) -> float:
        return self.measured / self.baseline if self.baseline else self.measured

    @property
    def ok(self) -> bool:
        if self.failed:
            return False
        return self.value < self.target if self.unit == "s" else self.value <= self.target


def table(rows: list[Ratio]) -> str:
    width = max(len(r.name) for r in rows)
    lines = [f"{'measure':<{width}}  {'by':<4}  {'measured':>9}  {'baseline':>9}  {'ratio':>7}  "
             f"{'target':>8}  verdict"]  # fmt: skip
    for r in rows:
        if r.unit == "n":  # processes: a count, or a count against the baseline's count
            measured = f"{r.measured:>9.0f}"
            base = f"{r.baseline:>9.0f}" if r.baseline else f"{'-':>9}"
        elif r.unit == "MiB":
            measured, base = f"{r.measured:>6.1f}MiB", f"{r.baseline:>6.1f}MiB"
        else:
            measured = f"{r.measured:>8.3f}s"
            base = f"{r.baseline:>8.3f}s" if r.baseline else f"{'-':>9}"
        if r.unit == "s":
            ratio, target = f"{r.value:>6.3f}s", f"< {r.target:g} s"
        elif r.unit == "n" and not r.baseline:
            ratio, target = f"{r.value:>7.0f}", f"<= {r.target:g}"
        else:
            ratio, target = f"{r.value:>6.2f}x", f"<= {r.target:g}x"
        by = r.by if r.unit in ("x", "s") else ""
        lines.append(f"{r.name:<{width}}  {by:<4}  {measured}  {base}  {ratio}  {target:>8}  "
                     f"{verdict(r.ok)}")  # fmt: skip
    return "\n".join(lines)

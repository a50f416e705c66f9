"""Speed and memory of `opsbundle validate`, and the parse throughput of every
log-fields/v1 implementation, each against a baseline measured in the same run
on the same files, so the figures mean the same on any machine.

    python tools/bench/bench.py [--sizes 1000,10000] [--repeat 3] [--parse-lines 100000]

Baseline: a fresh Python process that only reads every manifest.yaml and
changelog.yaml with PyYAML's C loader. Measured: `opsbundle validate --no-native`
as a fresh process, cold (no cache) and warm (the cache of the cold run), and
`--changed-since` with one changed bundle. Wall time is the best of --repeat
runs; memory is the peak of the summed proportional set size (PSS) of the
process and its workers, sampled every 10 ms.

Parsing (parse_bench.py): every log of the log-fields/v1 corpus repeated to
--parse-lines lines, each where a host keeps it; each tool's `opsbundle parse`
runner against the same engine doing only the tool's parsing work on the same
files, in the same run (target: at most 1.3x), and the runner's memory at 1x
and 4x the lines (flat).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import yaml  # noqa: E402
from generate import generate  # noqa: E402

BASELINE = """
import sys, yaml
from pathlib import Path
root = Path(sys.argv[1])
for top in ("logging", "bundles"):
    if not (root / top).is_dir():
        continue
    for d in sorted((root / top).iterdir()):
        for name in ("manifest.yaml", "changelog.yaml"):
            yaml.load((d / name).read_bytes(), Loader=yaml.CSafeLoader)
"""


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


def run(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, peak MiB of the process tree, exit code)"""
    peak = 0
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
    done.set()
    sampler.join()
    if proc.returncode not in (0,):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return wall, peak / 1024, proc.returncode


def best(cmd, env, repeat):
    runs = [run(cmd, env) for _ in range(repeat)]
    wall = min(r[0] for r in runs)
    return wall, max(r[1] for r in runs), max(r[2] for r in runs)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def bench_size(n: int, repeat: int, tmp: Path) -> dict:
    root = tmp / f"repo-{n}"
    generate(REPO, root, n)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / f"cache-{n}")}
    validate = [sys.executable, "-m", "opsbundle", "validate", "--root", str(root), "--no-native"]
    base = best([sys.executable, "-c", BASELINE, str(root)], env, repeat)
    cold = best(validate + ["--no-cache"], env, repeat)
    run(validate, env)  # fill the cache
    warm = best(validate, env, repeat)
    for name, r in (("cold", cold), ("warm", warm)):
        if r[2] != 0:
            raise SystemExit(f"validate ({name}) failed on {n} generated bundles")
    return {"n": n, "root": root, "env": env, "base": base, "cold": cold, "warm": warm}


def bench_changed(result: dict, repeat: int) -> float:
    root, env = result["root"], result["env"]

    def git(*args):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.email=b@example.org", "-c", "user.name=bench", "add", "-A")
    git("-c", "user.email=b@example.org", "-c", "user.name=bench", "commit", "-qm", "base")
    target = root / "logging" / "gen-00007"
    manifest = target / "manifest.yaml"
    text = manifest.read_text()
    old = yaml.safe_load(text)["version"]
    major, minor, _ = (int(p) for p in old.split("."))
    new = f"{major}.{minor + 1}.0"
    manifest.write_text(text.replace(f"version: {old}", f"version: {new}", 1))
    changelog = target / "changelog.yaml"
    data = yaml.safe_load(changelog.read_text())
    data["releases"].insert(
        0, {"version": new, "changes": [{"description": "Bench.", "type": "bugfix"}]}
    )
    changelog.write_text(yaml.safe_dump(data, sort_keys=False))
    cmd = [
        sys.executable, "-m", "opsbundle", "validate", "--root", str(root),
        "--no-native", "--no-cache", "--changed-since", "HEAD",
    ]  # fmt: skip
    wall, _, code = best(cmd, env, repeat)
    if code != 0:
        raise SystemExit("validate --changed-since failed")
    return wall


def bench_parse(lines: int, repeat: int, tmp: Path) -> None:
    """Each `opsbundle parse` runner against its engine alone (parse_bench.py)."""
    import parse_bench

    if not parse_bench.bench(run, best, lines, repeat, tmp):
        print("  parse: a target was MISSED")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--parse-lines", type=int, default=100_000, help="0: skip the parse bench")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"cores: {os.cpu_count()}; python {sys.version.split()[0]}; best of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="opsbundle-bench-") as tmp:
        if sizes:
            validate_report(sizes, args.repeat, Path(tmp))
        if args.parse_lines:
            bench_parse(args.parse_lines, args.repeat, Path(tmp) / "parse")


def validate_report(sizes: list[int], repeat: int, tmp: Path) -> None:
    results = [bench_size(n, repeat, tmp) for n in sizes]
    print(f"{'N':>6} {'baseline s':>10} {'cold s':>8} {'ratio':>6} {'warm s':>8} "
          f"{'ratio':>6} {'cold MiB':>9} {'warm MiB':>9}")  # fmt: skip
    for r in results:
        b, c, w = r["base"][0], r["cold"][0], r["warm"][0]
        print(
            f"{r['n']:>6} {b:>10.3f} {c:>8.3f} {c / b:>6.2f} {w:>8.3f} {w / b:>6.2f} "
            f"{r['cold'][1]:>9.1f} {r['warm'][1]:>9.1f}"
        )
    print("targets:")
    for r in results:
        b, c, w = r["base"][0], r["cold"][0], r["warm"][0]
        if r["n"] == 1000:
            print(f"  N=1000 ratio <= 1.5: cold {c / b:.2f} {verdict(c / b <= 1.5)}, "
                  f"warm {w / b:.2f} {verdict(w / b <= 1.5)}")  # fmt: skip
        if r["n"] == 10000:
            print(f"  N=10000 under 5 s: cold {c:.2f} s {verdict(c < 5)}, "
                  f"warm {w:.2f} s {verdict(w < 5)}")  # fmt: skip
            print(f"  N=10000 under 150 MiB: cold {r['cold'][1]:.0f} MiB "
                  f"{verdict(r['cold'][1] < 150)}, warm {r['warm'][1]:.0f} MiB "
                  f"{verdict(r['warm'][1] < 150)}")  # fmt: skip
    small = next((r for r in results if r["n"] == 1000), None)
    if small:
        wall = bench_changed(small, repeat)
        print(f"  --changed-since, 1 of 1000 changed, under 0.3 s: {wall:.3f} s "
              f"{verdict(wall < 0.3)}")  # fmt: skip


if __name__ == "__main__":
    main()

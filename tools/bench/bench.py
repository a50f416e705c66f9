"""`nox -s bench`: every speed target of `opsbundle validate` and `opsbundle
test`, and the parse throughput of every log-fields/v1 implementation, each
against a baseline measured in the same run on the same files, so the figures
mean the same on any machine. Never a timed unit test.

    python tools/bench/bench.py [--sizes 1000] [--exec-sizes 1,10,100] [--repeat 3]
                                [--parse-lines 100000] [--no-test] [--only GROUPS]

--only runs some groups of rows (comma-separated, default all): repository,
execs, cold, changed, test, parse; e.g. `--only parse,changed` for the parse
runners and `--changed-since` alone, without the rest of the run's minutes.

Every command runs as a fresh process; wall time is the best of --repeat runs
(more where one run is short or this machine's noise large: `--changed-since`
10, the parse rows 5 to 12 turns), measured and baseline taken in turns;
memory is the peak of the summed proportional set size (PSS) of the process
tree, sampled every 10 ms.

validate (validate_bench.py), each a ratio to a baseline of the same run:
  - the repository, every engine on: a warm run against a bare C-loader parse
    of the repository's YAML; a cold run against a cold `--no-native` run; and
    which programs start after one bundle changes
  - the processes each engine starts (strace) for 1, 10 and 100 copies of every
    tool bundle: one engine start per run, whatever the number of bundles
  - N distinct generated bundles: cold `--no-native` against a C-loader parse of
    their manifests and changelogs; our overhead (`--jobs 1`) against the library
    floor (floor.py: the same YAML, yamale and Jinja2 work done directly); warm;
    `--changed-since` with one bundle changed (an absolute target)
  - `opsbundle test`, the whole of it, best of --repeat runs after the first
    of a fresh cache (an absolute target)

Parsing (parse_bench.py): every log of the log-fields/v1 corpus repeated to
--parse-lines lines, each where a host keeps it; each tool's `opsbundle parse`
runner against the engine's process doing the tool's work on the same files
with nothing of opsbundle around it, in the same run (target: at most 1.3x),
the regex engine alone beside it (information), and the runner's memory at 1x
and 4x the lines (flat).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import validate_bench  # noqa: E402
from measure import Ratio, best, run, table  # noqa: E402

GROUPS = (*validate_bench.GROUPS, "parse")


def bench_parse(lines: int, repeat: int, tmp: Path) -> list[Ratio]:
    """Each `opsbundle parse` runner against the tool alone (parse_bench.py)."""
    import parse_bench

    return parse_bench.bench(run, best, lines, repeat, tmp)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000", help="generated bundles for the cold path")
    ap.add_argument("--exec-sizes", default="1,10,100", help="copies of every bundle, '': skip")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--parse-lines", type=int, default=100_000, help="0: skip the parse bench")
    ap.add_argument("--no-test", action="store_true", help="skip timing `opsbundle test`")
    ap.add_argument("--only", default=",".join(GROUPS), help=f"groups of rows: {','.join(GROUPS)}")
    args = ap.parse_args()
    only = {g for g in args.only.split(",") if g}
    if only - set(GROUPS):
        ap.error(f"--only: unknown {sorted(only - set(GROUPS))} (known: {', '.join(GROUPS)})")
    if args.no_test:
        only.discard("test")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    exec_sizes = [int(s) for s in args.exec_sizes.split(",") if s]
    print(f"cores: {os.cpu_count()}; python {sys.version.split()[0]}; best of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="opsbundle-bench-") as tmp:
        rows = validate_bench.report(Path(tmp), sizes, exec_sizes, args.repeat, only)
        if args.parse_lines and "parse" in only:
            rows += bench_parse(args.parse_lines, args.repeat, Path(tmp) / "parse")
    print()
    print(f"issue 13's targets ({shlex.join(['python', 'tools/bench/bench.py', *sys.argv[1:]])})")
    print(table(rows))
    failed = [r for r in rows if not r.ok]
    print(f"bench: {len(rows) - len(failed)} PASS, {len(failed)} FAIL")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""`nox -s bench`: every speed target of `opsbundle validate` and `opsbundle
test`, and the parse throughput of every log-fields/v1 implementation, each
against a baseline measured in the same run on the same files, so the figures
mean the same on any machine. Never a timed unit test.

    python tools/bench/bench.py [--sizes 1000] [--exec-sizes 1,10,100] [--repeat 3]
                                [--parse-lines 100000] [--no-test]

Every command runs as a fresh process; wall time is the best of --repeat runs,
measured and baseline taken in turns; memory is the peak of the summed
proportional set size (PSS) of the process tree, sampled every 10 ms.

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
  - `opsbundle test`, the whole of it (an absolute target)

Parsing: a mixed OpenStack log of --parse-lines lines, made by repeating every
sample of the log-fields/v1 conformance suite (all record kinds: oslo.log with
tracebacks, access logs, swift, HAProxy, RabbitMQ, MariaDB) in its own file, as
they lie on a host. Baseline: a fresh Python process that reads the files and
splits them into lines. Measured: a fresh process running each parser bundle's
rules on its engine (`opsbundle parse` does the same per file), engine start
included; lines per second = input lines / wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import validate_bench  # noqa: E402
from measure import best  # noqa: E402

SPLIT = """
import json, sys
from pathlib import Path
n = 0
for _, _, path in json.loads(Path(sys.argv[1]).read_text()):
    n += len(Path(path).read_text(encoding="utf-8").splitlines())
print(n)
"""
PARSE = """
import json, sys
from pathlib import Path
from opsbundle import logparse, repo
from opsbundle.checks import Context
from opsbundle.interfaces import Registry
root, ref = Path(sys.argv[1]), sys.argv[2]
dirs = repo.discover(root)
ctx = Context(root, Registry(root), {b.ref: b for b in dirs})
bundle = ctx.bundle(ref)
files = [
    (logparse.host_path(ctx, bundle, service, name), Path(p).read_text().splitlines())
    for service, name, p in json.loads(Path(sys.argv[3]).read_text())
]
events = logparse.parse(ctx, bundle, files)
if any(e.get("unparsed") for per_file in events for e in per_file):
    sys.exit("unparsed records")
"""


def mixed_log(tmp: Path, lines: int) -> tuple[Path, int]:
    """Files of repeated conformance samples, `lines` lines in all, and their list."""
    sys.path.insert(0, str(REPO / "tools"))
    from opsbundle.conformance.log_fields import samples

    texts = [(p, p.read_text(encoding="utf-8").splitlines()) for _, p in samples(REPO)]
    per_round = sum(len(t) for _, t in texts)
    rounds = -(-lines // per_round)
    listing, total = [], 0
    for i, (path, text) in enumerate(texts):
        out = tmp / f"{i:02d}" / path.parent.name / path.name
        out.parent.mkdir(parents=True)
        out.write_text("\n".join(text * rounds) + "\n", encoding="utf-8")
        listing.append((path.parent.name, path.name, str(out)))
        total += len(text) * rounds
    index = tmp / "files.json"
    index.write_text(json.dumps(listing))
    return index, total


def bench_parse(lines: int, repeat: int, tmp: Path) -> None:
    index, total = mixed_log(tmp, lines)
    env = dict(os.environ)
    base, _, code = best([sys.executable, "-c", SPLIT, str(index)], env, repeat)
    if code:
        raise SystemExit("baseline failed")
    print(f"parse throughput, {total} lines of mixed OpenStack logs, best of {repeat}:")
    print(f"  {'implementation':<18} {'wall s':>8} {'lines/s':>10} {'x baseline':>10} {'MiB':>7}")
    print(f"  {'baseline (split)':<18} {base:>8.3f} {total / base:>10.0f} {1.0:>10.1f}")
    for ref in ("logging/fluentd", "logging/logstash", "logging/rsyslog", "logging/splunk"):
        cmd = [sys.executable, "-c", PARSE, str(REPO), ref, str(index)]
        wall, mib, code = best(cmd, env, repeat)
        if code:
            raise SystemExit(f"parse with {ref} failed")
        print(f"  {ref:<18} {wall:>8.3f} {total / wall:>10.0f} {wall / base:>10.1f} {mib:>7.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000", help="generated bundles for the cold path")
    ap.add_argument("--exec-sizes", default="1,10,100", help="copies of every bundle, '': skip")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--parse-lines", type=int, default=100_000, help="0: skip the parse bench")
    ap.add_argument("--no-test", action="store_true", help="skip timing `opsbundle test`")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    exec_sizes = [int(s) for s in args.exec_sizes.split(",") if s]
    print(f"cores: {os.cpu_count()}; python {sys.version.split()[0]}; best of {args.repeat}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="opsbundle-bench-") as tmp:
        ok = validate_bench.report(Path(tmp), sizes, exec_sizes, args.repeat, not args.no_test)
        if args.parse_lines:
            bench_parse(args.parse_lines, args.repeat, Path(tmp) / "parse")
    if not ok:
        print("bench: a target was MISSED")


if __name__ == "__main__":
    main()

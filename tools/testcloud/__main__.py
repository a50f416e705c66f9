"""python -m testcloud up|status|down --state DIR [daemon ...]

up      start the daemons (default: all) and leave them running; prints the
        state file's path
status  one line per daemon (alive, ready, PIDs); exit 1 unless all are
        alive and ready; --json prints the whole state file
down    stop every daemon by PID and delete their data (--keep keeps it)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import state
from .cloud import SERVICES, Cloud
from .daemon import DaemonError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testcloud", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("up", "status", "down"))
    parser.add_argument("daemons", nargs="*", help=f"among: {', '.join(SERVICES)}")
    parser.add_argument("--state", required=True, type=Path, help="the cloud's state directory")
    parser.add_argument("--json", action="store_true", help="status: print the state file")
    parser.add_argument("--keep", action="store_true", help="down: keep data and logs")
    args = parser.parse_args(argv)
    try:
        cloud = Cloud(args.state)
        if args.command == "up":
            started = time.monotonic()
            before = {n for n in cloud.daemons if cloud.running(n)}
            cloud.up(args.daemons or None)
            took = time.monotonic() - started
            node = cloud.daemons.get("node")
            steps = node.info.get("timings") if node and "node" not in before else {}
            detail = ", ".join(f"{k} {v} s" for k, v in (steps or {}).items())
            print(f"{state.path(args.state)} (up in {took:.1f} s{'; ' + detail if detail else ''})")
            return 0
        if args.command == "down":
            cloud.down(remove=not args.keep)
            return 0
        report = cloud.status()
        if args.json:
            print(json.dumps(state.read(args.state), indent=2, sort_keys=True))
        else:
            for name, row in report.items():
                word = "ready" if row["ready"] else "alive, not ready" if row["alive"] else "down"
                print(f"{name:12} {word:18} pids {' '.join(map(str, row['pids']))}")
        wanted = args.daemons or list(report)
        return 0 if wanted and all(report.get(n, {}).get("ready") for n in wanted) else 1
    except DaemonError as err:
        print(f"testcloud: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

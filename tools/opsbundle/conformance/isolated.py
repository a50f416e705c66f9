"""Run one conformance job in a process table of its own.

Checks that look for processes (check_procs, NRPE's process checks) see every
process of the machine: a real glance-api of the test cloud, or another
run's stand-in daemon, would answer for the one a case killed. A job whose
suite says so (`private_processes(bundle)`) therefore runs here, as the first
process of a new PID namespace with its own /proc (`unshare`): its stand-in
daemons and the checks it runs see only each other, and everything it
started ends with it. Loopback, files and users are the machine's.

    python -m opsbundle.conformance ROOT INTERFACE BUNDLE    (__main__.py)
prints the job's results as one JSON list.

A process check itself gets one more namespace (`argv`): the command runs
beside one stand-in, `sleep 300` whose command line reads
`/usr/bin/<name> 300`, started inside before the check and gone with it, so
even the job's own other stand-ins cannot answer for a killed daemon.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .locks import PRIVATE_PROCESSES
from .result import Result

TIMEOUT = 3600
_UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]
_STANDIN = r"""
name=$1; shift
if [ -n "$name" ]; then
    (exec -a "/usr/bin/$name" sleep 300) &
    want="/usr/bin/$name 300 "
    until [ "$(tr '\0' ' ' < /proc/$!/cmdline 2>/dev/null)" = "$want" ]; do sleep 0.01; done
fi
"$@"
"""


def argv(check: list[str], process: str = "") -> list[str]:
    """`check` in its own PID namespace, beside a stand-in `process` when given
    (none: the daemon is killed). Root gets the namespace directly; anyone
    else through a user namespace (`--map-root-user`)."""
    unshare = (
        _UNSHARE if os.geteuid() == 0 else [_UNSHARE[0], "--user", "--map-root-user", *_UNSHARE[1:]]
    )
    return [*unshare, "/bin/bash", "-c", _STANDIN, "isolated", process, *check]


def command(root: Path, interface: str, bundle: str) -> list[str] | None:
    """The argv that runs the job in a namespace of its own, or None when this
    machine cannot give one (no unshare, no user namespaces for a non-root user)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    isolate = ["--pid", "--fork", "--mount-proc", "--kill-child"]
    if os.geteuid() != 0:
        isolate = ["--user", "--map-root-user", *isolate]
    me = [sys.executable, "-m", "opsbundle.conformance", str(root), interface, bundle]
    return [unshare, *isolate, *me]


def run(root: Path, interface: str, bundle: str) -> list[Result] | None:
    """The job's results from its own namespace; None when none can be made."""
    argv = command(root, interface, bundle)
    if argv is None:
        return None
    package = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, PRIVATE_PROCESSES: "1", "PYTHONPATH": os.pathsep.join(
        p for p in (package, os.environ.get("PYTHONPATH", "")) if p)}  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=env,
                              check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return [Result(bundle, "suite", interface, False, f"no result within {TIMEOUT} s")]
    if done.returncode != 0:
        if "unshare failed" in done.stderr or "Operation not permitted" in done.stderr:
            return None  # no namespaces here: the caller runs the job as it is
        detail = f"exit {done.returncode}: {done.stderr.strip()[-500:]}"
        return [Result(bundle, "suite", interface, False, detail)]
    return [Result(*row) for row in json.loads(done.stdout)]

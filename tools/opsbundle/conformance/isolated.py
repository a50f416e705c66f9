"""Process checks in a process table of their own.

Checks that look for processes (check_procs, NRPE's process checks) see every
process of their PID namespace: on the machine's, a real glance-api of the
test cloud, or another run's stand-in daemon, would answer for the one a
case killed. So each process check runs as the first process of a new PID
namespace with its own /proc (`unshare`), beside one stand-in: `sleep 300`
whose command line reads `/usr/bin/<name> 300`, started inside before the
check and gone with it (none: the daemon is killed). Nothing else of the
machine, not even the job's other stand-ins, can make it pass or fail, so
the jobs that run these checks need no lane and no lock. Loopback, files
and users are the machine's.
"""

from __future__ import annotations

import os

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

"""A check command in a PID namespace of its own (a fresh /proc), so that a
process check sees only the stand-in daemon the test put there: never the
machine's own processes, other test runs' stand-ins, or another suite's
real daemon of the same name (a test cloud's glance-api).

The stand-in is `sleep 300` whose command line reads `/usr/bin/<name> 300`,
started inside the namespace before the check, which runs once the
namespace's /proc shows it. When the check exits, the namespace and the
stand-in with it are gone. Root gets the namespace directly; anyone else
through a user namespace (`--map-root-user`).
"""

from __future__ import annotations

import os

_UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]
_SCRIPT = r"""
name=$1; shift
if [ -n "$name" ]; then
    (exec -a "/usr/bin/$name" sleep 300) &
    want="/usr/bin/$name 300 "
    until [ "$(tr '\0' ' ' < /proc/$!/cmdline 2>/dev/null)" = "$want" ]; do sleep 0.01; done
fi
"$@"
"""


def argv(command: list[str], process: str = "") -> list[str]:
    """`command` in its own PID namespace, beside a stand-in `process` when given."""
    unshare = (
        _UNSHARE if os.geteuid() == 0 else [_UNSHARE[0], "--user", "--map-root-user", *_UNSHARE[1:]]
    )
    return [*unshare, "/bin/bash", "-c", _SCRIPT, "isolated", process, *command]

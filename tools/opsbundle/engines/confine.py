"""A box for the parsers that run what they read.

Two of the real parsers validation trusts for a verdict execute parts of the
file they parse: GNU make expands `$(shell ...)` and `$(file >...)` and runs
`+` recipe lines even under `-n`, and rpm's spec parser runs `%(...)` and
`%{lua:...}` while it expands macros. The files come from a bundle under
review, or from a site's render whose values a deployment tool chose, so
neither parser may reach anything that matters. Each runs under bubblewrap:

    /usr (and the /bin, /lib... links into it)   read-only
    the folders the parser reads                   read-only
    /tmp                                           an empty tmpfs
    /proc, /dev                                    the box's own
    /etc, /root, /home, the repository, sockets    absent
    network, IPC, PIDs, hostname                   unshared (nothing to reach)
    environment                                    PATH and the locale only

What a file's code can still do is write to the box's tmpfs (gone when the
parser exits) and change the parser's own answer, which is the file's to
give anyway. bubblewrap needs user namespaces (or root); where it cannot
make the box, `require()` fails the engine's run with bubblewrap's reason:
the parser never runs unconfined."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

from . import EngineFailed

BINARY = "bwrap"
_LINKS = ("bin", "sbin", "lib", "lib64", "lib32", "libx32")


def argv(command: list[str], *, read: tuple[Path, ...] = (), cwd: Path | None = None) -> list[str]:
    """`command` as run inside the box, seeing `read` (folders or files,
    read-only, at their own paths) and starting in `cwd` (one of them)."""
    box = [BINARY, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
           "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LC_ALL", "C.UTF-8",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
           "--tmpfs", "/tmp"]  # fmt: skip
    for name in _LINKS:
        top = Path("/") / name
        if top.is_symlink():
            box += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            box += ["--ro-bind", str(top), str(top)]
    for path in read:
        box += ["--ro-bind", str(path), str(path)]
    if cwd is not None:
        box += ["--chdir", str(cwd)]
    return [*box, "--", *command]


def require() -> None:
    """Raise EngineFailed unless bubblewrap can make the box here (the kernel
    lets it unshare every namespace). Asked once per process, by an engine
    about to run, so a warm validate starts nothing."""
    why = refusal()
    if why:
        raise EngineFailed(f"bubblewrap cannot confine the parser here: {why}")


@functools.cache
def refusal() -> str:
    """Why bubblewrap cannot make the box here ("" when it can)."""
    try:
        done = subprocess.run(argv(["true"]), capture_output=True, text=True, timeout=30,
                              check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return "" if done.returncode == 0 else done.stderr.strip()[-300:] or f"exit {done.returncode}"

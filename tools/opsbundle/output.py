"""Where a command may write its output folder, and how: the one rule for
`render`, `build` and `site`.

An output folder is all-or-nothing. Everything is written into a staging
folder beside the target and swapped in with rename(2) only when the command
succeeded, so a failure (an exception, Ctrl-C, SIGTERM, even SIGKILL: the
next run removes what a dead one left) leaves the target exactly as it was.
Never the repository or a part of it that holds bundles (`repo.unsafe_output`),
never a file or a symlink, and a non-empty folder only with `force`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from . import repo


class OutputError(Exception):
    """The output folder cannot be written; nothing was."""


def check_target(out: Path, force: bool, root: Path | None = None) -> None:
    """`out` may be written: not the repository (`root`) or a part of it that
    holds bundles, not a file, and empty unless `force`."""
    unsafe = repo.unsafe_output(root, out) if root is not None else None
    if unsafe:
        raise OutputError(unsafe)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(f"{out} exists and is not a directory")
    claim = out / CLAIM
    if claim.is_file():
        try:
            holder = int(claim.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            holder = 0
        if holder and _alive(holder):
            raise OutputError(f"{out}: another render is writing it (process {holder})")
        with contextlib.suppress(OSError):
            claim.unlink()  # its render was killed
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(f"{out} is not empty; pass --force to replace its contents")


CLAIM = ".opsbundle-claim"
OWNER = ".opsbundle-owner"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(out: Path) -> None:
    """Staging folders of renders into `out` that were killed (SIGKILL, power
    loss) before they could clean up: their owner process is gone."""
    for stale in out.parent.glob(f".{out.name}.*"):
        owner = stale / OWNER
        try:
            pid = int(owner.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not _alive(pid):
            shutil.rmtree(stale, ignore_errors=True)


def _claim(out: Path, force: bool) -> str:
    """Take a new or empty `out` for this render with an O_EXCL claim file:
    "created" (the folder is ours), "claimed" (an empty folder we now hold),
    "" when `--force` replaces a folder that already has content."""
    created = "claimed"
    try:
        os.mkdir(out)
        created = "created"
    except FileExistsError:
        pass
    if force and any(p.name != CLAIM for p in out.iterdir()):
        return ""
    try:
        fd = os.open(out / CLAIM, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise OutputError(f"{out}: another render is writing it") from None
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    if any(p.name != CLAIM for p in out.iterdir()) and not force:
        (out / CLAIM).unlink()
        raise OutputError(f"{out} is not empty; pass --force to replace its contents")
    return created


@contextlib.contextmanager
def staged_output(out: Path, force: bool, root: Path | None = None):
    """A staging folder beside `out`, swapped in when the block succeeds and
    removed whatever else happens (an exception, Ctrl-C, SIGTERM: the command
    turns SIGTERM into an exception). A new `out` is claimed first with
    mkdir(2) and a claim file, so two renders into one new folder cannot both
    succeed: the second finds it taken and not empty."""
    check_target(out, force, root)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write next to {out}: {exc.strerror}") from None
    _clean_stale(out)
    claimed = _claim(out, force)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        _release(out, claimed)
        raise OutputError(f"cannot write next to {out}: {exc.strerror}") from None
    try:
        (staging / OWNER).write_text(str(os.getpid()), encoding="utf-8")
        yield staging
        (staging / OWNER).unlink()
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _release(out, claimed)
        raise


def _release(out: Path, claimed: str) -> None:
    """Give back what `_claim` took: its claim file, and the folder if it made it."""
    if claimed and (out / CLAIM).is_file():
        (out / CLAIM).unlink()
        if claimed == "created":
            with contextlib.suppress(OSError):
                os.rmdir(out)


def swap_in(staging: Path, out: Path) -> None:
    """Replace `out` by `staging` with renames only, so readers see the old
    or the new tree, never a half-written one."""
    if not out.exists():
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)

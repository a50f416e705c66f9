"""Review from a site repository that holds opsbundles as a git submodule.

In a superproject's commit only the submodule's entry (a gitlink: the commit
it points at) is staged, so a hook that looks at staged files never sees
which bundles changed inside. This finds every opsbundles submodule whose
recorded commit changes (staged, or since a ref) and validates it with
`--changed-since` the commit the superproject recorded before: the bundles
changed between the two commits, and their version bumps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import repo

GITLINK = "160000"
ZERO = "0" * 40


@dataclass(frozen=True)
class Moved:
    """A submodule whose recorded commit changes from `old` (None: new) to `new`."""

    path: str
    old: str | None
    new: str


def top_level(start: Path) -> Path:
    return Path(repo.git(start, "rev-parse", "--show-toplevel", inherit=True).strip())


def moved_submodules(top: Path, since: str | None = None) -> list[Moved]:
    """Gitlinks that change: staged ones (the commit being made), or, with
    `since`, between that ref and HEAD (a CI job on a site's branch)."""
    args = ["diff", "--raw", "--no-abbrev", "--no-renames"]
    args += [since, "HEAD"] if since else ["--cached"]
    found = []
    # the superproject's own index is the one its commit (and so this hook) uses
    for line in repo.git(top, *args, "--", inherit=True).splitlines():
        meta, _, path = line.partition("\t")
        fields = meta.lstrip(":").split()  # old mode, new mode, old sha, new sha, status
        if len(fields) < 5 or fields[1] != GITLINK:
            continue  # not a submodule, or one being removed
        old = fields[2] if fields[0] == GITLINK and fields[2] != ZERO else None
        found.append(Moved(path, old, fields[3]))
    return found


def opsbundles_submodules(top: Path, since: str | None = None) -> tuple[list, list[str]]:
    """(the moved submodules that are opsbundles repositories, notes)."""
    chosen, notes = [], []
    for moved in moved_submodules(top, since):
        root = top / moved.path
        try:
            repo.check_root(root)
        except repo.RepoError:
            notes.append(f"{moved.path}: not an opsbundles repository, not checked")
            continue
        head = repo.git(root, "rev-parse", "HEAD").strip()
        if head != moved.new:
            raise repo.RepoError(
                f"{moved.path} is checked out at {head[:12]} but the superproject records "
                f"{moved.new[:12]}; run `git submodule update {moved.path}`, or stage "
                "what is checked out"
            )
        chosen.append((moved, root))
    return chosen, notes

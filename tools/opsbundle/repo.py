"""Where the repository is, which bundles it holds, and which changed since a ref.

A bundle is found by its place in the tree, never by a registry file that could
go stale: `<domain>/<name>/manifest.yaml` for a tool bundle and
`bundles/<name>/manifest.yaml` for a stack.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

DOMAINS = ("logging", "monitoring", "packaging")
STACKS = "bundles"
MANIFEST = "manifest.yaml"
CHANGELOG = "changelog.yaml"
_MARKER = Path("interfaces") / "vocabulary.yaml"


class RepoError(Exception):
    """The repository, or git, cannot answer: exit code 2, not a finding."""


@dataclass(frozen=True)
class BundleDir:
    ref: str  # "logging/rsyslog" or "bundles/openstack-logging"
    path: Path

    @property
    def is_stack(self) -> bool:
        return self.ref.startswith(STACKS + "/")


def find_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / _MARKER).is_file():
            return candidate
    raise RepoError(
        f"no opsbundles repository at or above {here} (looked for {_MARKER}); "
        "run inside a clone or pass --root DIR"
    )


def check_root(root: Path) -> Path:
    root = root.resolve()
    if not (root / _MARKER).is_file():
        raise RepoError(f"{root} is not an opsbundles repository (no {_MARKER})")
    return root


def discover(root: Path) -> list[BundleDir]:
    """Every bundle directory, sorted; a directory without a manifest is still
    listed so that validation can say the manifest is missing."""
    found = []
    for top in (*DOMAINS, STACKS):
        try:
            entries = os.scandir(root / top)
        except FileNotFoundError:
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                    found.append(BundleDir(f"{top}/{entry.name}", Path(entry.path)))
    return sorted(found, key=lambda b: b.ref)


def select(root: Path, all_bundles: list[BundleDir], names: list[str]) -> list[BundleDir]:
    """Bundles named on the command line, by ref ("logging/rsyslog"), by bare
    name when unambiguous, or by a path to the bundle or to a file inside it."""
    by_ref = {b.ref: b for b in all_bundles}
    chosen: dict[str, BundleDir] = {}
    for name in names:
        bundle = by_ref.get(name.strip("/")) or _by_path(root, by_ref, name)
        if bundle is None:
            matches = [b for b in all_bundles if b.ref.split("/", 1)[1] == name]
            if len(matches) == 1:
                bundle = matches[0]
            elif len(matches) > 1:
                refs = ", ".join(b.ref for b in matches)
                raise RepoError(f"'{name}' is ambiguous: {refs}")
            else:
                raise RepoError(f"no bundle '{name}' under {root}")
        chosen[bundle.ref] = bundle
    return sorted(chosen.values(), key=lambda b: b.ref)


def _by_path(root: Path, by_ref: dict[str, BundleDir], name: str) -> BundleDir | None:
    try:
        rel = Path(name).resolve().relative_to(root)
    except ValueError:
        return None
    parts = rel.parts
    return by_ref.get("/".join(parts[:2])) if len(parts) >= 2 else None


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise RepoError("git is not installed; --changed-since needs it") from None
    if done.returncode != 0:
        raise RepoError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def merge_base(root: Path, ref: str) -> str:
    try:
        return _git(root, "merge-base", ref, "HEAD").strip()
    except RepoError:
        pass
    # say why: an unknown ref, or history a shallow clone does not have
    if _git(root, "rev-parse", "--is-shallow-repository").strip() == "true":
        raise RepoError(
            f"this is a shallow clone, and the merge-base with {ref} is not in it; "
            "fetch more history (git fetch --unshallow) or validate everything"
        )
    try:
        _git(root, "rev-parse", "--verify", "--quiet", ref + "^{commit}")
    except RepoError:
        raise RepoError(f"unknown git ref '{ref}'") from None
    raise RepoError(f"{ref} and HEAD have no common history")


def changed_files(root: Path, base: str) -> list[str]:
    """Files changed between `base` and the working tree, committed or not,
    plus untracked ones; renames count at both names. The three git
    questions run at once."""
    queries = [
        ["diff", "--name-only", "--no-renames", base, "--"],
        ["ls-files", "--others", "--exclude-standard"],
        ["rev-parse", "--show-prefix"],
    ]
    try:
        procs = [
            subprocess.Popen(
                ["git", "-C", str(root), *q],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for q in queries
        ]
    except FileNotFoundError:
        raise RepoError("git is not installed; --changed-since needs it") from None
    outs = []
    for q, proc in zip(queries, procs, strict=True):
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RepoError(f"git {' '.join(q)}: {err.strip()}")
        outs.append(out)
    diff, untracked, prefix = outs[0], outs[1], outs[2].strip()
    names = set(diff.splitlines()) | set(untracked.splitlines())
    if prefix:  # the root is a subfolder of the git work tree (a submodule-free vendoring)
        names = {n[len(prefix) :] for n in names if n.startswith(prefix)}
    return sorted(n for n in names if n)


def changed_bundles(
    root: Path, all_bundles: list[BundleDir], base: str
) -> tuple[list[BundleDir], bool]:
    """Bundles touched since `base`, and whether a change outside any bundle
    (interfaces/, tools/, ...) means every bundle must be checked. Only the
    touched ones must bump their version, even when all are checked."""
    by_ref = {b.ref: b for b in all_bundles}
    touched: set[str] = set()
    outside = False
    for name in changed_files(root, base):
        parts = name.split("/")
        if len(parts) >= 3 and parts[0] in (*DOMAINS, STACKS):
            ref = "/".join(parts[:2])
            if ref in by_ref:
                touched.add(ref)
            continue  # a deleted bundle leaves nothing to check
        outside = True
    return [by_ref[r] for r in sorted(touched)], outside


def file_at(root: Path, base: str, relpath: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "show", f"{base}:./{relpath}"],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return done.stdout if done.returncode == 0 else None

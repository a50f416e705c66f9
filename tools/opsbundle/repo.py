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


# What `git rev-parse --local-env-vars` lists: variables that point git at
# one repository. A hook runs inside the `git commit` of whatever repository
# is being committed (a site's superproject, say) and inherits them; our own
# git calls ask about the opsbundles checkout, so they must not see them.
# The `-c` settings of the outer git (GIT_CONFIG_PARAMETERS/COUNT) are kept,
# as git keeps them for submodules.
LOCAL_GIT_ENV = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
)
BASE_REF_ENV = "OPSBUNDLES_BASE_REF"
DEFAULT_BASE_REF = "origin/main"


class RepoError(Exception):
    """The repository, or git, cannot answer: exit code 2, not a finding."""


def git_env() -> dict:
    """This process's environment without the variables that tie git to the
    repository an outer git command is working on."""
    return {k: v for k, v in os.environ.items() if k not in LOCAL_GIT_ENV}


def base_ref(given: str | None = None) -> str:
    """The ref `--changed-since` compares with: given, else $OPSBUNDLES_BASE_REF,
    else origin/main."""
    return given or os.environ.get(BASE_REF_ENV) or DEFAULT_BASE_REF


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


PATH_ENV = "OPSBUNDLES_PATH"


def site_paths() -> list[Path]:
    """A site's own bundle folders ($OPSBUNDLES_PATH, `--path DIR`), each laid
    out like the repository: <DIR>/<domain>/<name>/, <DIR>/bundles/<name>/."""
    return [Path(p) for p in site_paths_text()]


def unsafe_output(root: Path, out: Path) -> str | None:
    """Why `out` may not be replaced by a render, a build or the site (they
    swap the whole folder in), or None: never the repository or a folder
    holding it, nor a folder the next run would read as bundles or
    interfaces, in the repository or in a site's --path folder."""
    out = out.resolve()
    for tree in (root, *site_paths()):
        tree = tree.resolve()
        if out == tree or out in tree.parents:
            return f"{out} holds the repository {tree}; write to another folder"
        for top in ("interfaces", *DOMAINS, STACKS):
            if out.is_relative_to(tree / top):
                return (
                    f"{out} is inside the repository's {top}/ ({tree}); "
                    "write to another folder (e.g. rendered/)"
                )
    return None


def site_paths_text() -> list[str]:
    return [p for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]


def discover(root: Path) -> list[BundleDir]:
    """Every bundle directory of the repository and of the site's folders,
    sorted; a directory without a manifest is still listed so that validation
    can say the manifest is missing. A site bundle may not take the name of
    one of ours (or of another site folder's): that is an error, not an override."""
    found: dict[str, BundleDir] = {}
    for tree in (root, *site_paths()):
        if tree != root and not tree.is_dir():
            raise RepoError(f"{PATH_ENV} / --path: {tree} is not a folder")
        for top in (*DOMAINS, STACKS):
            try:
                entries = os.scandir(tree / top)
            except FileNotFoundError:
                continue
            with entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                        ref = f"{top}/{entry.name}"
                        if ref in found and found[ref].path.resolve() != Path(entry.path).resolve():
                            raise RepoError(
                                f"{ref} is in both {found[ref].path} and {entry.path}; "
                                "rename the site's bundle"
                            )
                        found[ref] = BundleDir(ref, Path(entry.path))
    return sorted(found.values(), key=lambda b: b.ref)


def select(root: Path, all_bundles: list[BundleDir], names: list[str]) -> list[BundleDir]:
    """Bundles named on the command line, by ref ("logging/rsyslog"), by bare
    name when unambiguous, by a path to the bundle or to a file inside it, or
    by a folder of bundles ("monitoring": every bundle in it)."""
    by_ref = {b.ref: b for b in all_bundles}
    chosen: dict[str, BundleDir] = {}
    for name in names:
        inside = _by_folder(root, all_bundles, name)
        if inside:
            chosen.update((b.ref, b) for b in inside)
            continue
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


def _by_folder(root: Path, all_bundles: list[BundleDir], name: str) -> list[BundleDir]:
    """Every bundle under a folder that holds bundles (`monitoring`, `.`,
    `bundles/`), given relative to the current folder or to the root."""
    for base in (Path.cwd(), root):
        folder = (base / name).resolve()
        if folder.is_dir() and not (folder / MANIFEST).is_file():
            inside = [b for b in all_bundles if folder in b.path.resolve().parents]
            if inside:
                return inside
    return []


def _by_path(root: Path, by_ref: dict[str, BundleDir], name: str) -> BundleDir | None:
    for tree in (root, *site_paths()):
        try:
            parts = Path(name).resolve().relative_to(tree.resolve()).parts
        except ValueError:
            continue
        hit = by_ref.get("/".join(parts[:2])) if len(parts) >= 2 else None
        if hit is not None:
            return hit
    return None


def git(root: Path, *args: str, inherit: bool = False) -> str:
    """stdout of one git command in `root`, or RepoError with git's reason.
    `inherit`: keep the outer git's variables, for a question about the very
    repository being committed (`git commit -a` stages into a temporary index
    that only GIT_INDEX_FILE names)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=False,
            env=dict(os.environ) if inherit else git_env(),
        )
    except FileNotFoundError:
        raise RepoError("git is not installed; --changed-since needs it") from None
    if done.returncode != 0:
        raise RepoError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def merge_base(root: Path, ref: str) -> str:
    try:
        return git(root, "merge-base", ref, "HEAD").strip()
    except RepoError:
        pass
    # say why: an unknown ref, or history a shallow clone does not have
    if git(root, "rev-parse", "--is-shallow-repository").strip() == "true":
        raise RepoError(
            f"this is a shallow clone, and the merge-base with {ref} is not in it; "
            "fetch more history (git fetch --unshallow) or validate everything"
        )
    try:
        git(root, "rev-parse", "--verify", "--quiet", ref + "^{commit}")
    except RepoError:
        raise RepoError(f"unknown git ref '{ref}'") from None
    raise RepoError(f"{ref} and HEAD have no common history")


def changed_files(root: Path, base: str) -> list[str]:
    """Files changed between `base` and the working tree, committed or not,
    plus untracked ones; renames count at both names. Paths are relative to
    the root, files outside it left out, when the root is a subfolder of the
    git work tree (a submodule-free vendoring): git does both itself, as
    `diff --relative` and a plain `ls-files` run in the root, so the two
    questions (run at once) are all the git processes it takes."""
    queries = [
        ["diff", "--name-only", "--no-renames", "--relative", base, "--"],
        ["ls-files", "--others", "--exclude-standard"],
    ]
    try:
        procs = [
            subprocess.Popen(
                ["git", "-C", str(root), *q],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=git_env(),
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
    names = set(outs[0].splitlines()) | set(outs[1].splitlines())
    return sorted(n for n in names if n)


def changed_bundles(
    root: Path, all_bundles: list[BundleDir], base: str
) -> tuple[list[BundleDir], bool]:
    """Bundles whose own files changed since `base`, and whether a change
    outside any bundle (interfaces/, tools/, ...) means every bundle must be
    checked (only the touched ones still owe a version bump)."""
    by_ref = {b.ref: b for b in all_bundles}
    touched: set[str] = set()
    outside = False
    for name in changed_files(root, base):
        parts = name.split("/")
        if len(parts) >= 3 and parts[0] in (*DOMAINS, STACKS):
            if "/".join(parts[:2]) in by_ref:
                touched.add("/".join(parts[:2]))
            # else: a deleted bundle leaves nothing to check
        else:
            outside = True
    return [by_ref[r] for r in sorted(touched)], outside


def file_at(root: Path, base: str, relpath: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "show", f"{base}:./{relpath}"],
            capture_output=True,
            check=False,
            env=git_env(),
        )
    except FileNotFoundError:
        return None
    return done.stdout if done.returncode == 0 else None

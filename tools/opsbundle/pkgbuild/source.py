"""The site's source folder as the build tools want it: a copy or a tarball
without version-control and build leftovers, under `<package>-<pbr version>/`."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

# Top-level folders that are never part of a project's source.
SKIP = frozenset({".git", ".tox", ".nox", ".venv", ".eggs", ".stestr", "build", "dist"})


def _skip_top(path: Path, source: Path) -> bool:
    rel = path.relative_to(source)
    return bool(rel.parts) and rel.parts[0] in SKIP


def tarball(source: Path, top: str, dest: Path) -> Path:
    def keep(info: tarfile.TarInfo):
        rel = Path(info.name).relative_to(top)
        if rel.parts and rel.parts[0] in SKIP or "__pycache__" in rel.parts:
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(dest, "w:gz") as tar:
        tar.add(source, arcname=top, filter=keep)
    return dest


def copy(source: Path, dest: Path) -> Path:
    shutil.copytree(
        source,
        dest,
        symlinks=True,
        ignore=lambda folder, names: [
            n for n in names if n == "__pycache__" or _skip_top(Path(folder) / n, source)
        ],
    )
    return dest


def build_env() -> dict:
    """The environment of a package build: the distribution's own programs
    only. A package is built with the system's python3 and its Debian-packaged
    pbr and setuptools, never with a pyenv or virtualenv that happens to come
    first on PATH (which would also make setuptools fetch pbr from PyPI)."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return {**keep, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"}

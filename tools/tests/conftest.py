"""Shared fixtures: the repository, scratch copies of it, and real sdists of
OpenStack projects downloaded from PyPI once and kept in the user's cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDIST_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "opsbundle" / "sdists"
)


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    """A scratch copy of the repository's bundles and interfaces to break."""
    dest = tmp_path / "repo"
    for part in ("interfaces", "packaging", "logging", "monitoring", "bundles"):
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, dest / part)
    return dest


def sdist(name: str, version: str) -> Path:
    """The unpacked PyPI sdist of name==version (no dependencies, no wheels)."""
    SDIST_CACHE.mkdir(parents=True, exist_ok=True)
    wanted = name.replace("-", "_").replace(".", "_").lower()
    found = [
        p
        for p in SDIST_CACHE.glob("*.tar.gz")
        if p.name.replace("-", "_")
        .replace(".", "_")
        .lower()
        .startswith(f"{wanted}_{version}".replace(".", "_"))
    ]
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"{name}=={version}",
                "-d",
                str(SDIST_CACHE),
            ],
            check=True,
        )
        return sdist(name, version)
    unpacked = SDIST_CACHE / "unpacked"
    with tarfile.open(found[0]) as tar:
        top = tar.getnames()[0].split("/")[0]
        if not (unpacked / top).is_dir():
            tar.extractall(unpacked, filter="data")
    return unpacked / top

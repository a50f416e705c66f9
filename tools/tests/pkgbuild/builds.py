"""What the rpm and deb build tests share: the sdists they build, one way to
run `opsbundle build`, and a git checkout made from an sdist."""

from __future__ import annotations

import shutil
from pathlib import Path

from opsbundle.cli import main

from ..conftest import ROOT, sdist
from .test_version import commit, git

# os-service-types 1.7.0: a small pbr library whose sdist Debian 12's
# setuptools can still read (later ones use PEP 639 license strings).
LIBRARY = ("os-service-types", "1.7.0")
# glance 29.0.0 (2024.2): a service with a unit, sample configs and data_files.
SERVICE = ("glance", "29.0.0")


def run_build(bundle: str, project: str, source: Path, out: Path, *extra, root: Path = ROOT):
    args = ["build", bundle, "--root", str(root), "--project", project]
    return main([*args, "--source", str(source), "-o", str(out), *extra])


def built(tmp_path_factory, bundle: str, spec: tuple[str, str], dist: str = "") -> Path:
    """OUT of a successful build of an sdist (of PyPI's `dist` when the
    project's name is not its distribution's), for module-scoped fixtures."""
    out = tmp_path_factory.mktemp(spec[0]) / "out"
    assert run_build(bundle, spec[0], sdist(dist or spec[0], spec[1]), out) == 0
    return out


def checkout(tmp_path: Path, commits_after_tag: int) -> Path:
    """The library's sdist as a git checkout tagged 1.7.0 with site commits
    after the tag (no PKG-INFO, so the version comes from git)."""
    src = tmp_path / "checkout"
    shutil.copytree(sdist(*LIBRARY), src)
    (src / "PKG-INFO").unlink()
    shutil.rmtree(src / "os_service_types.egg-info")
    git(src, "init", "-q", "-b", "main")
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", "import")
    git(src, "tag", LIBRARY[1])
    for i in range(commits_after_tag):
        commit(src, f"site fix {i}")
    return src

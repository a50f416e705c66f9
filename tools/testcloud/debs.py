"""Our own debs of the cloud's OpenStack services, built with `opsbundle
build packaging/deb` from their PyPI sdists, and kept by content.

The release is Zed (2022.2), the one Debian 12 ships: the newest whose
requirements bookworm's archive satisfies for all three projects (placement
9.0.0, of 2023.1, needs os-traits >= 2.10, bookworm has 2.9.0; glance 27.0.0
needs eventlet >= 0.33.3, bookworm has 0.33.1). tools/tests/cloud checks that
with the same dependency mapping the packages use.

A build is reused when nothing it depends on changed: the key is the sdist's
sha256 and a hash of everything that shapes the package (packaging/deb's
manifest, templates and this project's data, the package-build and
log-collection interfaces, the build code).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .daemon import DaemonError

REPO = Path(__file__).resolve().parents[2]
# project -> (PyPI distribution, version)
RELEASE = {
    "keystone": ("keystone", "22.0.2"),
    "placement": ("openstack-placement", "8.0.0"),
    "glance": ("glance", "25.1.0"),
}
# What shapes a package besides its source ({project}: the one being built;
# the other projects' data does not).
SHAPERS = (
    "packaging/deb/manifest.yaml",
    "packaging/deb/build",
    "packaging/deb/projects/{project}.yaml",
    "interfaces/package-build",
    "interfaces/log-collection",
    "tools/opsbundle/pkgbuild",
)


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "opsbundle"


def tree_hash(root: Path, project: str, parts=SHAPERS) -> str:
    digest = hashlib.sha256()
    for part in parts:
        top = root / part.format(project=project)
        for path in sorted([top, *top.rglob("*")] if top.is_dir() else [top]):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def sdist(dist: str, version: str) -> Path:
    """The sdist tarball from PyPI, downloaded once into the cache."""
    folder = cache_dir() / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{dist}-{version}".replace("-", "_").lower()
    for path in folder.glob("*.tar.gz"):
        if path.name.replace("-", "_").lower() == f"{stem}.tar.gz":
            return path
    argv = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    argv += [f"{dist}=={version}", "-d", str(folder)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise DaemonError(f"pip download {dist}=={version}: {done.stderr[-1000:]}")
    return sdist(dist, version)


def build(project: str, root: Path = REPO) -> Path:
    """The deb of `project` (cached), built from its sdist at RELEASE."""
    dist, version = RELEASE[project]
    tarball = sdist(dist, version)
    key = hashlib.sha256(
        hashlib.sha256(tarball.read_bytes()).hexdigest().encode()
        + tree_hash(root, project).encode()
    ).hexdigest()[:24]
    out = cache_dir() / "testcloud" / "debs" / f"{project}-{version}-{key}"
    if (out / "build.json").is_file():
        return out
    with tempfile.TemporaryDirectory(prefix=f"testcloud-{project}-") as tmp:
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
            top = Path(tmp) / tar.getnames()[0].split("/")[0]
        staged = out.with_name(out.name + ".new")
        shutil.rmtree(staged, ignore_errors=True)
        argv = [sys.executable, "-m", "opsbundle", "build", "packaging/deb", "--root", str(root)]
        argv += ["--project", project, "--source", str(top), "-o", str(staged)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode != 0:
            raise DaemonError(f"opsbundle build {project}: {(done.stderr + done.stdout)[-3000:]}")
        shutil.rmtree(out, ignore_errors=True)
        staged.rename(out)
    for old in out.parent.glob(f"{project}-*"):  # builds of packaging that changed since
        if old != out:
            shutil.rmtree(old, ignore_errors=True)
    return out


def files(out: Path) -> list[Path]:
    summary = json.loads((out / "build.json").read_text())
    return [out / p["file"] for p in summary["packages"]]

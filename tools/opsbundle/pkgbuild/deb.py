"""dpkg-buildpackage -us -uc -b on a copy of the source with the debian/ folder
the bundle's templates render (debhelper 13, dh-python's pybuild).

A debian/ folder already in the site's source is replaced by the rendered one:
the bundle is the packaging. Build dependencies are checked against the
installed Debian packages (tools/setup.sh installs them), as on any Debian
build host."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from . import source as sources
from .errors import BuildError

FAMILY = "deb"
TOOLS = ("dpkg-buildpackage", "dh", "dpkg-deb")
PACKAGES = ("dpkg-dev", "debhelper", "dh-python")
TIMEOUT = 3600
_WHERE = re.compile(r"(debian/[\w.+@-]+(?:/[\w.+@-]+)*):(\d+)")


def debian_files(job) -> dict[str, tuple[str, int]]:
    """debian/<path> -> (text, mode) for one project."""
    proj = job.project
    pkg = proj["package"]
    names = {
        "control": "control",
        "rules": "rules",
        "changelog": "changelog",
        "copyright": "copyright",
        "source_format": "source/format",
        "lintian_overrides": f"{pkg}.lintian-overrides",
        "install": f"{pkg}.install",
        "postinst": f"{pkg}.postinst",
        "postrm": f"{pkg}.postrm",
        "logrotate": f"{pkg}.logrotate",
        "tmpfiles": f"{pkg}.tmpfiles",
        "sudoers": f"sudoers/{pkg}",
    }
    files = {}
    for key, name in names.items():
        for _, text in job.renderings(key):
            files[name] = (text, 0o755 if key in ("rules", "postinst", "postrm") else 0o644)
    for conf, text in job.renderings("config"):
        files[f"conf/{conf['file']}"] = (text, 0o644)
    for app, text in job.renderings("uwsgi"):
        files[f"uwsgi/{app['name']}-uwsgi.ini"] = (text, 0o644)
    for unit, text in job.renderings("unit"):
        files[f"{pkg}.{unit['name']}.service"] = (text, 0o644)
    return files


def write_debian(job, tree: Path) -> Path:
    debian = tree / "debian"
    if debian.exists():
        shutil.rmtree(debian)
    for name, (text, mode) in debian_files(job).items():
        path = debian / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
    return debian


def build(job, work: Path) -> list[Path]:

    tree = sources.copy(job.source, work / f"{job.project['package']}-{job.version.pbr}")
    write_debian(job, tree)
    env = {**sources.build_env(), "DEB_BUILD_OPTIONS": "nocheck"}
    try:
        done = subprocess.run(
            ["dpkg-buildpackage", "-us", "-uc", "-b"],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BuildError(f"dpkg-buildpackage did not finish within {TIMEOUT} s") from None
    if done.returncode != 0:
        raise BuildError(explain(done.stdout + done.stderr, tree, job))
    return sorted(work.glob("*.deb"))


def explain(output: str, tree: Path, job) -> str:
    """dpkg-buildpackage's own error; each `debian/<file>:<line>` it names is
    shown with that line of the rendered file."""
    located = []
    for name, line in sorted(set(_WHERE.findall(output))):
        path = tree / name
        n = int(line)
        if path.is_file():
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            if 0 < n <= len(lines):
                located.append(f"{name}:{n} (rendered by {job.bundle.ref}): {lines[n - 1]}")
    tail = "\n".join(output.strip().splitlines()[-30:])
    head = "\n".join(located)
    return f"dpkg-buildpackage failed:\n{head + chr(10) if head else ''}{tail}"


def describe(path: Path) -> dict:
    done = subprocess.run(
        ["dpkg-deb", "-f", str(path), "Package", "Version", "Architecture"],
        capture_output=True,
        text=True,
        check=False,
    )
    fields = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    return {
        "name": fields.get("Package", ""),
        "version": fields.get("Version", ""),
        "arch": fields.get("Architecture", ""),
    }

"""rpmbuild, on the spec and host files the bundle's templates render.

`--nodeps`: on Debian the rpm database is empty, so rpmbuild would refuse every
BuildRequires although tools/setup.sh installed their Debian equivalents. The
spec still lists them, so `rpmbuild -bb` of the rendered spec on a Fedora/RHEL
host (or mock) checks them there.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from . import plan
from . import source as sources
from .errors import BuildError

FAMILY = "rpm"
TOOLS = ("rpmbuild", "rpm")
PACKAGES = ("rpm",)
# Names of the rendered host files in SOURCES, as the spec template reads them.
HOST_FILES = {
    "logrotate": "{package}.logrotate",
    "tmpfiles": "{package}.tmpfiles",
    "sudoers": "{package}.sudoers",
    "config": "{file}",
    "unit": "{item}.service",
    "httpd": "{item}.httpd.conf",
}
_LINE = re.compile(r"^error: line (\d+): (.*)$")
TIMEOUT = 3600


def render_tree(job, top: Path) -> Path:
    """SPECS/<package>.spec and SOURCES/ (tarball and host files) under `top`."""
    proj = job.project
    (top / "SPECS").mkdir(parents=True)
    (top / "SOURCES").mkdir()
    for key, pattern in HOST_FILES.items():
        for item, text in job.renderings(key):
            item = item or {}
            name = pattern.format(
                package=proj["package"],
                item=item.get("name"),
                file=str(item.get("file", "")).replace("/", "_"),
            )
            (top / "SOURCES" / name).write_text(text, encoding="utf-8")
    spec = top / "SPECS" / f"{proj['package']}.spec"
    spec.write_text(job.render("spec"), encoding="utf-8")
    return spec


def build(job, work: Path) -> list[Path]:

    top = work / "rpmbuild"
    spec = render_tree(job, top)
    folder = f"{job.project['package']}-{job.version.pbr}"
    sources.tarball(job.source, folder, top / "SOURCES" / f"{folder}.tar.gz")
    (work / "tmp").mkdir()
    cmd = [
        "rpmbuild",
        "-bb",
        "--nodeps",
        "--define",
        f"_topdir {top}",
        "--define",
        f"_tmppath {work / 'tmp'}",
        str(spec),
    ]
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            cwd=work,
            env=sources.build_env(),
        )
    except subprocess.TimeoutExpired:
        raise BuildError(f"rpmbuild did not finish within {TIMEOUT} s") from None
    if done.returncode != 0:
        raise BuildError(explain(done.stdout + done.stderr, spec, job))
    return sorted((top / "RPMS").rglob("*.rpm"))


def explain(output: str, spec: Path, job) -> str:
    """rpmbuild's own error; a `line N` error is shown with that line of the
    rendered spec and the template it came from."""
    lines = spec.read_text(encoding="utf-8").splitlines()
    template = plan.template_path(job.bundle, "spec").relative_to(job.bundle.path)
    shown = f"{spec.name} (rendered from {job.bundle.ref}/{template.as_posix()})"
    located = []
    for line in output.splitlines():
        m = _LINE.match(line.strip())
        if m and 0 < int(m[1]) <= len(lines):
            n = int(m[1])
            located.append(f"{shown}:{n}: error: {m[2]}\n    {n} | {lines[n - 1]}")
    tail = "\n".join(output.strip().splitlines()[-25:])
    head = "\n".join(located)
    return f"rpmbuild failed:\n{head + chr(10) if head else ''}{tail}"


def describe(path: Path) -> dict:
    done = subprocess.run(
        ["rpm", "-qp", "--qf", "%{NAME}\t%{VERSION}\t%{RELEASE}\t%{ARCH}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    name, version, release, arch = (done.stdout.split("\t") + ["", "", "", ""])[:4]
    return {"name": name, "version": version, "release": release, "arch": arch}

"""The debian/ folder of every project a deb bundle packages, rendered with the
bundle's defaults and validation's sample build values, read by Debian's own
tools without building:
    dpkg-parsechangelog   parses debian/changelog; its version must be the
                          one the build values give (the `~` spelling)
    dh_listpackages       debhelper reads debian/control (and the compat
                          level); it must list the project's package
    make -n -f debian/rules binary   the rules makefile parses
    sh -n                 the maintainer scripts parse
plus the units and logrotate files the packages install (see hostfiles).
Building and lintian run in the tests (a build takes seconds to minutes)."""

from __future__ import annotations

import subprocess

from ..findings import Finding
from ..pkgbuild.deb import write_debian
from ..pkgbuild.errors import BuildError
from . import hostfiles
from .hostfiles import host_files, jobs, template_shown

TOOL = "dpkg"
BINARY = "dpkg-parsechangelog"
BINARIES = ("dpkg-parsechangelog", "dh_listpackages", "make", "systemd-analyze", "logrotate")
PACKAGE = "dpkg-dev, debhelper, make, systemd, logrotate"


def _run(cmd: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def check(batch, workdir) -> list:
    found: list[Finding] = []
    units, rotates = [], []
    for job in jobs(batch):
        bundle, proj = job.bundle, job.project
        pkg = proj["package"]

        def report(key: str, message: str, bundle=bundle, pkg=pkg) -> None:
            found.append(
                Finding(
                    "NAT001",
                    template_shown(bundle, key),
                    f"{message} ({pkg})",
                    bundle=bundle.ref,
                )
            )

        tree = workdir / pkg
        try:
            write_debian(job, tree)
            u, r = host_files(job)
        except BuildError as exc:
            report("control", str(exc))
            continue
        units += u
        rotates += r
        done = _run(["dpkg-parsechangelog", "-S", "Version"], tree)
        wanted = f"{job.build['version']}-{job.build['release']}"
        if done.returncode != 0 or done.stdout.strip() != wanted:
            report(
                "changelog",
                f"dpkg-parsechangelog: {done.stderr.strip() or done.stdout.strip()!r}, "
                f"expected version {wanted}",
            )
        done = _run(["dh_listpackages"], tree)
        if done.returncode != 0 or done.stdout.split() != [pkg]:
            report("control", f"dh_listpackages: {(done.stderr or done.stdout).strip()}")
        done = _run(["make", "-n", "-f", "debian/rules", "binary"], tree)
        if done.returncode != 0:
            report("rules", f"make -n -f debian/rules: {done.stderr.strip()}")
        script = tree / "debian" / f"{pkg}.postinst"
        if script.is_file():
            done = _run(["sh", "-n", str(script)], tree)
            if done.returncode != 0:
                message = done.stderr.strip().replace(str(script), "postinst")
                report("postinst", f"sh -n: {message}")
    found += hostfiles.verify_units(units, workdir)
    found += hostfiles.check_logrotate(rotates, workdir)
    return found

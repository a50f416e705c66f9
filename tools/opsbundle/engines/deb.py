"""The debian/ folder of every project a deb bundle packages, rendered with the
bundle's defaults and validation's sample build values, read by Debian's own
tools without building:
    dpkg-parsechangelog   parses debian/changelog; its version must be the
                          one the build values give (the `~` spelling)
    dh_listpackages       debhelper reads debian/control (and the compat
                          level); it must list the project's package
    make -n -f debian/rules binary   the rules makefile parses
    sh -n                 the maintainer scripts parse
plus the units, logrotate and sudoers files the packages install (see hostfiles).

The first two run as the library code of those programs in one perl for every
folder of the run (debian_check.pl). make and sh read one program each per
process and have no way to keep two programs' variables and rules apart, so
they run once per distinct rules file and maintainer script (folders and
scripts with the same bytes are read once). Building and lintian run in the
tests (a build takes seconds to minutes)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ..findings import Finding
from . import json_lines

TOOL = "dpkg"
BINARY = "dpkg-parsechangelog"
BINARIES = ("perl", "dpkg-parsechangelog", "dh_listpackages", "make", "sh", "systemd-analyze",
            "logrotate", "visudo")  # fmt: skip
PACKAGE = "dpkg-dev, debhelper, make, systemd, logrotate, sudo"
USES = ("engines/hostfiles.py", "engines/debian_check.pl")
SCRIPT = Path(__file__).with_name("debian_check.pl")
TIMEOUT = 300


def _run(cmd: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def prepare(rendered) -> list[Finding]:
    """Render every project's debian/ folder, units and logrotate files into
    `rendered.inputs` (the cache keys on them)."""
    from ..pkgbuild.deb import debian_files
    from ..pkgbuild.errors import BuildError
    from .hostfiles import host_files, jobs, project_inputs, template_shown

    found, projects = [], []
    for job in jobs([rendered]):
        pkg = job.project["package"]
        try:
            files = debian_files(job)
            files_on_host = host_files(job)
        except BuildError as exc:
            found.append(
                Finding("NAT001", template_shown(job.bundle, "control"), f"{exc} ({pkg})",
                        bundle=rendered.ref)
            )  # fmt: skip
            continue
        shown = {
            k: template_shown(job.bundle, k) for k in ("changelog", "control", "rules", "postinst")
        }
        version = f"{job.build['version']}-{job.build['release']}"
        files = {name: [text, mode] for name, (text, mode) in files.items()}
        projects.append(
            project_inputs(job, files_on_host, version=version, files=files, shown=shown)
        )
    rendered.inputs["projects"] = json.dumps(projects, sort_keys=True)
    return found


def _programs(projects: list, trees: list[Path]):
    """Start every program at once (they are separate processes): the one
    perl, make per distinct debian/ folder, sh per distinct maintainer script,
    systemd-analyze and logrotate. Returns their futures and the pool."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=4)
    perl = pool.submit(json_lines, ["perl", str(SCRIPT)], trees, TIMEOUT)
    rules, scripts = {}, {}
    for (_, proj), tree in zip(projects, trees, strict=True):
        # make reads debian/rules in its folder: the folder's bytes decide the answer
        folder = json.dumps(proj["files"], sort_keys=True)
        if folder not in rules:
            argv = ["make", "-n", "-f", "debian/rules", "binary"]
            rules[folder] = pool.submit(_run, argv, tree)
        script = tree / "debian" / f"{proj['package']}.postinst"
        if script.is_file():
            text = script.read_text(encoding="utf-8")
            if text not in scripts:
                scripts[text] = pool.submit(_run, ["sh", "-n", str(script)], tree)
    return pool, perl, rules, scripts


def check(batch, workdir) -> list:
    from .hostfiles import installed_files, prepared

    found: list[Finding] = []
    projects = prepared(batch)
    trees = []
    for n, (_, proj) in enumerate(projects):
        tree = workdir / f"{n}" / proj["package"]
        for name, (text, mode) in proj["files"].items():
            path = tree / "debian" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            path.chmod(mode)
        trees.append(tree)
    pool, perl, rules, scripts = _programs(projects, trees)
    try:
        host = pool.submit(installed_files, projects, workdir)
        answers = perl.result()
        for (ref, proj), tree, answer in zip(projects, trees, answers, strict=True):
            pkg = proj["package"]

            def report(key: str, message: str, ref=ref, proj=proj) -> None:
                found.append(
                    Finding("NAT001", proj["shown"][key], f"{message} ({proj['package']})",
                            bundle=ref)
                )  # fmt: skip

            changelog, listed = answer["changelog"], answer["listpackages"]
            if changelog["exit"] != 0 or changelog["out"].strip() != proj["version"]:
                said = changelog["err"].strip() or changelog["out"].strip()
                wanted = proj["version"]
                report("changelog", f"dpkg-parsechangelog: {said!r}, expected version {wanted}")
            if listed["exit"] != 0 or listed["out"].split() != [pkg]:
                report("control", f"dh_listpackages: {(listed['err'] or listed['out']).strip()}")
            done = rules[json.dumps(proj["files"], sort_keys=True)].result()
            if done.returncode != 0:
                report("rules", f"make -n -f debian/rules: {done.stderr.strip()}")
            script = tree / "debian" / f"{pkg}.postinst"
            if script.is_file():
                done = scripts[script.read_text(encoding="utf-8")].result()
                if done.returncode != 0:
                    message = done.stderr.strip().replace(done.args[2], "postinst")
                    report("postinst", f"sh -n: {message}")
        found += host.result()
    finally:
        pool.shutdown()
    return found

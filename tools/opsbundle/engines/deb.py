"""The debian/ folder of every project a deb bundle packages, rendered with the
bundle's defaults and validation's sample build values, read by Debian's own
tools without building:
    dpkg-parsechangelog   parses debian/changelog; its version must be the
                          one the build values give (the `~` spelling)
    dh_listpackages       debhelper reads debian/control (and the compat
                          level); it must list the project's package
    make -n -f debian/rules binary   the rules makefile parses (in confine's
                          box: make runs $(shell ...) and `+` lines even with -n)
    sh -n                 the maintainer scripts parse
plus the units, logrotate and sudoers files the packages install (see hostfiles).

The first two run as the library code of those programs in one perl for every
folder of the run (debian_check.pl). make reads one makefile per process and
has no way to keep two makefiles' variables and rules apart, so it runs once
per distinct rules file (folders with the same bytes are read once). The
maintainer scripts are parsed by one sh for the run (`_parse_scripts`); one
it refuses is read again by `sh -n` alone, for the line its message names.
Building and lintian run in the tests (a build takes seconds to minutes)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ..findings import Finding
from . import confine, json_lines

TOOL = "dpkg"
BINARY = "dpkg-parsechangelog"
BINARIES = ("perl", "dpkg-parsechangelog", "dh_listpackages", "make", confine.BINARY, "sh",
            "systemd-analyze", "logrotate", "visudo")  # fmt: skip
PACKAGE = "dpkg-dev, debhelper, make, bubblewrap, systemd, logrotate, sudo"
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


def _programs(projects: list, trees: list[Path], workdir: Path):
    """Start every program at once (they are separate processes): the one
    perl, make per distinct debian/ folder, the one sh for the maintainer
    scripts, systemd-analyze and logrotate. Returns their futures and the pool."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=4)
    perl = pool.submit(json_lines, ["perl", str(SCRIPT)], trees, TIMEOUT)
    rules, scripts = {}, {}
    for (_, proj), tree in zip(projects, trees, strict=True):
        # make reads debian/rules in its folder: the folder's bytes decide the answer
        folder = json.dumps(proj["files"], sort_keys=True)
        if folder not in rules:
            make = ["make", "-n", "-f", "debian/rules", "binary"]
            rules[folder] = pool.submit(_run, confine.argv(make, read=(tree,), cwd=tree), tree)
        text = _postinst(proj)
        if text is not None:
            scripts.setdefault(text, tree / "debian" / f"{proj['package']}.postinst")
    parsed = pool.submit(_parse_scripts, scripts, workdir)
    return pool, perl, rules, parsed


def _postinst(proj: dict) -> str | None:
    """The project's postinst as check() wrote it into debian/ (None: none)."""
    entry = proj["files"].get(f"{proj['package']}.postinst")
    return entry[0] if entry else None


def _parse_scripts(scripts: dict[str, Path], workdir: Path) -> dict[str, str]:
    """text -> what `sh -n` says of each distinct maintainer script ("" when
    it parses). One sh reads them all: each script, held in a single-quoted
    word, is parsed in a subshell by `eval` after `set -n`, so dash's parser
    reads every command and runs none, as `sh -n FILE` does. Its messages
    name the eval's line, so a script it refuses is read again by `sh -n`
    alone, whose message is the one reported (and whose verdict counts).
    A script holding a NUL byte (no shell word can) goes to `sh -n` alone."""
    # here, not at the top: a warm validate imports this module only for its
    # identity, and the escape package loads every language with it
    from ..escape.shell import single_quoted

    texts, refused = [], []
    for text in scripts:
        (refused if "\0" in text else texts).append(text)
    driver = workdir / "parse-scripts.sh"
    lines = []
    for i, text in enumerate(texts):
        word = single_quoted(text)
        lines.append(f's={word}\n( eval "set -n\n$s" ) 2>/dev/null; echo "opsbundle {i} $?"\n')
    driver.write_text("".join(lines), encoding="utf-8")
    if texts:
        done = _run(["sh", str(driver)], workdir)
        said = [ln.split()[1:] for ln in done.stdout.splitlines() if ln.startswith("opsbundle ")]
        status = dict(said)
        refused += [t for i, t in enumerate(texts) if status.get(str(i)) != "0"]
    messages = dict.fromkeys(scripts, "")
    for text in refused:
        path = scripts[text]
        alone = _run(["sh", "-n", str(path)], path.parent)
        if alone.returncode != 0:
            message = alone.stderr.strip() or f"exit {alone.returncode}"
            messages[text] = message.replace(str(path), "postinst")
    return messages


def check(batch, workdir) -> list:
    from .hostfiles import installed_files, prepared

    found: list[Finding] = []
    projects = prepared(batch)
    if projects:
        confine.require()
    trees = []
    for n, (_, proj) in enumerate(projects):
        tree = workdir / f"{n}" / proj["package"]
        for name, (text, mode) in proj["files"].items():
            path = tree / "debian" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            path.chmod(mode)
        trees.append(tree)
    pool, perl, rules, parsed = _programs(projects, trees, workdir)
    try:
        host = pool.submit(installed_files, projects, workdir)
        answers = perl.result()
        for (ref, proj), answer in zip(projects, answers, strict=True):
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
            text = _postinst(proj)
            if text is not None and parsed.result()[text]:
                report("postinst", f"sh -n: {parsed.result()[text]}")
        found += host.result()
    finally:
        pool.shutdown()
    return found

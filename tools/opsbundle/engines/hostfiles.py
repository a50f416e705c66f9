"""The files a package installs on hosts, checked by the programs that read
them there: systemd units with `systemd-analyze verify`, logrotate files with
`logrotate -d`. Shared by the rpm and deb engines.

systemd-analyze runs offline against a scratch --root holding a copy of this
machine's system units (for targets such as network-online.target), each unit
where packages install it, and an empty executable for every ExecStart program
(the project's console scripts are not installed here). It exits 0 on many
problems it only prints (a bad Type=, an unknown key), so any output fails.

logrotate -d exits 0 even on unknown options: any `error:` line fails. The
package creates the project's user before logrotate first runs; this host does
not have it, so the check reads `su <user> <user>` as `su root root` (only
that exact line, only for the project's own user) and keeps everything else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..findings import Finding
from ..pkgbuild import plan
from ..pkgbuild.build import Job

SYSTEM_UNITS = ("/usr/lib/systemd/system", "/lib/systemd/system")
UNIT_DIR = "usr/lib/systemd/system"
_EXEC = re.compile(r"^\s*Exec(?:Start|StartPre|StartPost|Reload|Stop)=[-@:+!]*(/\S+)", re.M)


@dataclass
class HostFile:
    shown: str  # the template, where findings point
    label: str  # what was rendered: "nova-api.service for nova"
    text: str
    name: str  # file name (units) or project user (logrotate)
    ref: str


def verify_units(units: list[HostFile], workdir: Path) -> list[Finding]:
    if not units:
        return []
    root = workdir / "systemd-root"
    unit_dir = root / UNIT_DIR
    system = next((Path(d) for d in SYSTEM_UNITS if Path(d).is_dir()), None)
    if system is not None:
        shutil.copytree(system, unit_dir, symlinks=True, dirs_exist_ok=True)
    unit_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for unit in units:
        path = unit_dir / unit.name
        if path.exists() or path.is_symlink():
            path.unlink()
        path.write_text(unit.text, encoding="utf-8")
        paths[f"/{UNIT_DIR}/{unit.name}"] = unit
        for program in _EXEC.findall(unit.text):
            stub = root / program.lstrip("/")
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
            stub.chmod(0o755)
    found = []
    for dest, unit in paths.items():
        done = subprocess.run(
            ["systemd-analyze", "verify", f"--root={root}", dest],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        output = (done.stderr + done.stdout).strip()
        if done.returncode != 0 or output:
            for line in output.splitlines() or [f"exit {done.returncode}"]:
                line = line.replace(str(root), "")
                found.append(
                    Finding(
                        "NAT001",
                        unit.shown,
                        f"systemd-analyze verify ({unit.label}): {line}",
                        bundle=unit.ref,
                    )
                )
    return found


def check_logrotate(files: list[HostFile], workdir: Path) -> list[Finding]:
    found = []
    for i, entry in enumerate(files):
        user = re.escape(entry.name)
        text = re.sub(rf"(?m)^(\s*)su\s+{user}\s+{user}\s*$", r"\1su root root", entry.text)
        path = workdir / f"logrotate-{i}.conf"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run(
            ["logrotate", "-d", "-s", str(workdir / "logrotate.state"), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for line in (done.stderr + done.stdout).splitlines():
            if line.startswith("error:"):
                line = line.replace(str(path), "rendered file")
                found.append(
                    Finding(
                        "NAT001",
                        entry.shown,
                        f"logrotate -d ({entry.label}): {line}",
                        bundle=entry.ref,
                    )
                )
    return found


def host_files(job):
    """The units and logrotate files one project's package installs."""
    shown_unit = template_shown(job.bundle, "unit")
    shown_logrotate = template_shown(job.bundle, "logrotate")
    units, rotates = [], []
    proj = job.project
    for unit, text in job.renderings("unit"):
        name = f"{unit['name']}.service"
        label = f"{name} of {proj['package']}"
        units.append(HostFile(shown_unit, label, text, name, job.bundle.ref))
    for _, text in job.renderings("logrotate"):
        label = f"logrotate of {proj['package']}"
        rotates.append(HostFile(shown_logrotate, label, text, proj["user"], job.bundle.ref))
    return units, rotates


def jobs(batch):
    """A Job per project of every package-build bundle in an engine's batch,
    with the bundle's defaults and validation's sample build values."""
    for rendered in batch:
        bundle, ctx = rendered.bundle, rendered.ctx
        samples = bundle.sample_values()
        for name in plan.section(bundle).get("projects") or {}:
            try:
                proj = plan.project(ctx, bundle, name)
            except plan.PlanError:
                continue  # the pkgbuild check family reports it
            yield Job(ctx, bundle, proj, None, samples, None, plan.sample_build())


def template_shown(bundle, key: str) -> str:
    return f"{bundle.ref}/{plan.template_path(bundle, key).relative_to(bundle.path).as_posix()}"

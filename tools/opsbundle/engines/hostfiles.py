"""The files a package installs on hosts, checked by the programs that read
them there: systemd units with `systemd-analyze verify`, logrotate files with
`logrotate -d`. Shared by the rpm and deb engines; each program runs once per
call, for every unit (or logrotate file) of every project of every bundle.

systemd-analyze runs offline against a scratch --root holding a copy of this
machine's system units (for targets such as network-online.target), each unit
where packages install it, and an empty executable for every ExecStart program
(the project's console scripts are not installed here), and a stand-in for
each unit of another package the project's data says a unit Requires=
(openvswitch-switch for the OVS agent). It exits 0 on many
problems it only prints (a bad Type=, an unknown key), so any output fails.
One root holds every unit of the call: a unit name is global in a root, so
when two projects (or bundles) ship different units of one name, the later
project's units are placed under a prefix (`ob3-nova-api.service`, its
references to its own units rewritten alike) and the prefix is taken out of
every message again. Identical units are verified once.

logrotate -d exits 0 even on unknown options: any `error:` line fails. The
package creates the project's user before logrotate first runs; this host does
not have it, so the check reads `su <user> <group>` as `su root root` (only
that line, only for the project's own user) and keeps everything else.
Every file is read in one logrotate run, each file's log paths under its own
prefix (`/opsbundle-rotate-3/var/log/nova/*.log`): two packages rotating the
same logs on one host would clash, two bundles checked together must not.

An output line neither program ties to one file sends the files of that call
back through one run each, so every finding lands where it belongs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..findings import Finding

SYSTEM_UNITS = ("/usr/lib/systemd/system", "/lib/systemd/system")
UNIT_DIR = "usr/lib/systemd/system"
ROTATE_PREFIX = "/opsbundle-rotate-"
_EXEC = re.compile(r"^\s*Exec(?:Start|StartPre|StartPost|Reload|Stop)=[-@:+!]*(/\S+)", re.M)
_ROTATE_TAG = re.compile(re.escape(ROTATE_PREFIX) + r"(\d+)")
TIMEOUT = 120


@dataclass
class HostFile:
    shown: str  # the template, where findings point
    label: str  # what was rendered: "nova-api.service of openstack-nova"
    text: str
    name: str  # file name (units) or project user (logrotate)
    ref: str
    group: str = ""  # the units of one group (one project of one bundle) name each other
    external: tuple = ()  # units of other packages it Requires= (the project's data says so)


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)


# --------------------------------------------------------------------------- systemd units


def _system_root(workdir: Path) -> Path:
    root = workdir / "systemd-root"
    unit_dir = root / UNIT_DIR
    if not unit_dir.is_dir():
        system = next((Path(d) for d in SYSTEM_UNITS if Path(d).is_dir()), None)
        if system is not None:
            shutil.copytree(system, unit_dir, symlinks=True)
        unit_dir.mkdir(parents=True, exist_ok=True)
    return root


def _place_units(units: list[HostFile]) -> dict[str, tuple[str, list[HostFile]]]:
    """placed name -> (text, the units it stands for): identical units once,
    a group whose unit names are taken by other text under its own prefix."""
    placed: dict[str, tuple[str, list[HostFile]]] = {}
    groups: dict[str, list[HostFile]] = {}
    for unit in units:
        groups.setdefault(unit.group or unit.ref, []).append(unit)
    for n, members in enumerate(groups.values()):
        taken = any(u.name in placed and placed[u.name][0] != u.text for u in members)
        rename = {u.name: f"ob{n}-{u.name}" for u in members} if taken else {}
        for unit in members:
            text = unit.text
            for old, new in rename.items():
                text = re.sub(rf"(?<![\w@.-]){re.escape(old)}(?![\w@-])", new, text)
            name = rename.get(unit.name, unit.name)
            if name in placed and placed[name][0] == text:
                placed[name][1].append(unit)
            else:
                placed[name] = (text, [unit])
    return placed


def _unprefix(message: str) -> str:
    return re.sub(r"(?<![\w-])ob\d+-(?=[\w@.-]+\.(?:service|socket|timer|target|path))", "",
                  message)  # fmt: skip


def verify_units(units: list[HostFile], workdir: Path) -> list[Finding]:
    if not units:
        return []
    root = _system_root(workdir)
    placed = _place_units(units)
    for name, (text, _) in placed.items():
        path = root / UNIT_DIR / name
        if path.exists() or path.is_symlink():
            path.unlink()
        path.write_text(text, encoding="utf-8")
        for program in _EXEC.findall(text):
            stub = root / program.lstrip("/")
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
            stub.chmod(0o755)
    for _, members in placed.values():
        for required in {r for unit in members for r in unit.external}:
            # a unit another package installs on the host (openvswitch-switch
            # for the OVS agent), as the project's data declares: a stand-in,
            # as for the ExecStart programs; any other missing unit still fails
            path = root / UNIT_DIR / required
            if required not in placed and not (path.exists() or path.is_symlink()):
                path.write_text(
                    f"[Unit]\nDescription=stand-in for {required}\n\n"
                    "[Service]\nType=oneshot\nExecStart=/bin/true\n"
                )
    names = list(placed)
    outputs = _verify(root, names)
    found = []
    for name, lines in outputs.items():
        for unit in placed[name][1]:
            for line in lines:
                found.append(
                    Finding("NAT001", unit.shown,
                            f"systemd-analyze verify ({unit.label}): {_unprefix(line)}",
                            bundle=unit.ref)
                )  # fmt: skip
    return found


def _verify(root: Path, names: list[str]) -> dict[str, list[str]]:
    """placed unit name -> the lines systemd-analyze printed about it, from
    one run over all of them (one run each if a line names none of them)."""
    done = _run(["systemd-analyze", "verify", f"--root={root}",
                 *(f"/{UNIT_DIR}/{name}" for name in names)])  # fmt: skip
    lines = [ln.replace(str(root), "") for ln in (done.stderr + done.stdout).strip().splitlines()]
    if done.returncode == 0 and not lines:
        return {}
    owners = [_owner(line, names) for line in lines]
    if lines and all(owners):
        out: dict[str, list[str]] = {}
        for line, owner in zip(lines, owners, strict=True):
            out.setdefault(owner, []).append(line)
        return out
    if len(names) == 1:
        return {names[0]: lines or [f"exit {done.returncode}"]}
    out = {}
    for name in names:
        out.update(_verify(root, [name]))
    return out


def _owner(line: str, names: list[str]) -> str | None:
    """The unit a systemd-analyze line is about: its path, else a unit name
    at the start of the line ("x.service: Failed to ...")."""
    m = re.match(rf"/{re.escape(UNIT_DIR)}/([^:\s]+):", line)
    if m and m[1] in names:
        return m[1]
    m = re.match(r"([^:\s]+):", line)
    if m and m[1] in names:
        return m[1]
    return None


# --------------------------------------------------------------------------- logrotate


def _namespaced(text: str, n: int) -> str:
    """`text` with every log path of its blocks' headers under the file's own
    prefix; everything inside the braces (olddir, scripts) as it was."""
    out, depth, pos = [], 0, 0
    for m in re.finditer(r'"[^"\n]*"|\'[^\'\n]*\'|#[^\n]*|[{}]|[^\s{}#"\']+', text):
        out.append(text[pos : m.start()])
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and not token.startswith("#"):
            quote = token[0] if token[0] in "\"'" else ""
            inner = token[1:-1] if quote else token
            if inner.startswith("/"):
                token = f"{quote}{ROTATE_PREFIX}{n}{inner}{quote}"
        out.append(token)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def check_logrotate(files: list[HostFile], workdir: Path) -> list[Finding]:
    if not files:
        return []
    paths = []
    for i, entry in enumerate(files):
        user = re.escape(entry.name)
        text = re.sub(rf"(?m)^(\s*)su\s+{user}\s+\S+\s*$", r"\1su root root", entry.text)
        path = workdir / f"logrotate-{i}.conf"
        path.write_text(_namespaced(text, i), encoding="utf-8")
        paths.append(path)
    found = []
    for i, lines in _rotate(workdir, list(range(len(files))), paths).items():
        entry = files[i]
        for line in lines:
            line = _ROTATE_TAG.sub("", line.replace(str(paths[i]), "rendered file"))
            found.append(
                Finding("NAT001", entry.shown, f"logrotate -d ({entry.label}): {line}",
                        bundle=entry.ref)
            )  # fmt: skip
    return found


def _rotate(workdir: Path, which: list[int], paths: list[Path]) -> dict[int, list[str]]:
    """file index -> its `error:` lines, from one logrotate run over `which`
    (one run each when an error names none of them)."""
    state = workdir / f"logrotate-{which[0]}-{len(which)}.state"
    done = _run(["logrotate", "-d", "-s", str(state), *(str(paths[i]) for i in which)])
    errors = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.startswith("error:")]
    out: dict[int, list[str]] = {}
    unplaced = False
    for line in errors:
        owner = next((i for i in which if f" {paths[i]}:" in line), None)
        if owner is None:
            tags = {int(t) for t in _ROTATE_TAG.findall(line)} & set(which)
            owner = tags.pop() if len(tags) == 1 else None
        if owner is None:
            unplaced = True
            break
        out.setdefault(owner, []).append(line)
    if not unplaced:
        return out
    if len(which) == 1:
        return {which[0]: errors}
    out = {}
    for i in which:
        out.update(_rotate(workdir, [i], paths))
    return out


# --------------------------------------------------------------------------- projects


def host_files(job):
    """The units and logrotate files one project's package installs."""
    shown_unit = template_shown(job.bundle, "unit")
    shown_logrotate = template_shown(job.bundle, "logrotate")
    units, rotates = [], []
    proj = job.project
    group = f"{job.bundle.ref} {proj['package']}"
    for unit, text in job.renderings("unit"):
        name = f"{unit['name']}.service"
        label = f"{name} of {proj['package']}"
        external = tuple(unit.get("requires") or ())
        units.append(HostFile(shown_unit, label, text, name, job.bundle.ref, group, external))
    for _, text in job.renderings("logrotate"):
        label = f"logrotate of {proj['package']}"
        rotates.append(HostFile(shown_logrotate, label, text, proj["user"], job.bundle.ref, group))
    return units, rotates


def project_inputs(job, units: list[HostFile], rotates: list[HostFile], **fields) -> dict:
    """What the rpm or deb engine's check reads of one project, as JSON data
    (the cache keys on it): its package, units, logrotate files and `fields`."""
    from dataclasses import asdict

    return {
        "package": job.project["package"],
        "units": [asdict(u) for u in units],
        "rotates": [asdict(r) for r in rotates],
        **fields,
    }


def prepared(batch) -> list[tuple[str, dict]]:
    """(bundle ref, project) for every project the rpm or deb engine's
    prepare() rendered, across the batch."""
    import json

    return [
        (r.ref, proj)
        for r in batch
        if "projects" in r.inputs
        for proj in json.loads(r.inputs["projects"])
    ]


def installed_files(projects: list[tuple[str, dict]], workdir: Path) -> list[Finding]:
    """The units (one systemd-analyze) and logrotate files (one logrotate) of
    every prepared project."""
    units = [HostFile(**u) for _, p in projects for u in p["units"]]
    rotates = [HostFile(**r) for _, p in projects for r in p["rotates"]]
    return verify_units(units, workdir) + check_logrotate(rotates, workdir)


def jobs(batch):
    """A Job per project of every package-build bundle in an engine's batch,
    with the values it was rendered with (validation's: the bundle's defaults
    and sample build values)."""
    from ..pkgbuild import plan
    from ..pkgbuild.build import Job

    for rendered in batch:
        bundle, ctx = rendered.bundle, rendered.ctx
        samples = rendered.sample_values()
        for name in plan.section(bundle).get("projects") or {}:
            try:
                proj = plan.project(ctx, bundle, name)
            except plan.PlanError:
                continue  # the pkgbuild check family reports it
            family = plan.section(bundle).get("family")
            yield Job(ctx, bundle, proj, None, samples, None, plan.sample_build(family))


def template_shown(bundle, key: str) -> str:
    from ..pkgbuild import plan

    path = plan.template_path(bundle, key)
    return f"{bundle.ref}/{path.relative_to(bundle.path).as_posix()}"

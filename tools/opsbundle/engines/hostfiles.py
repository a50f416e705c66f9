"""The files a package installs on hosts, checked by the programs that read
them there: systemd units with `systemd-analyze verify`, logrotate files with
`logrotate -d`, httpd/mod_wsgi sites with `apache2 -t`, sudoers files with
`visudo -c`. Shared by the rpm and deb engines; each program runs once per
call, for every unit (or logrotate file, site, sudoers file) of every project
of every bundle.

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

httpd sites (RDO's way of serving the WSGI APIs) are read by Debian's apache2
with mod_wsgi loaded, each site Included from its own file into one minimal
server config; apache2 refuses unknown directives and bad arguments. Two
things of the target host are stood in for, only in the copy checked: the
project's user (the package creates it) is read as www-data, its log
directory (the package makes it) as a scratch one. One server config cannot
hold two `Listen` of one port or two WSGIDaemonProcess of one name, which two
bundles packaging the same project both ship: the second one's copy listens
on a loopback address of its own (127.0.k.1, same port) and suffixes its
daemon names (`-opsbundle-k`, and the WSGIProcessGroup and process-group= that
name them), so every site is read in one run. One project of one bundle keeps
its own names: a clash within it is the package's and is reported. apache2
stops at its first error: the site it names is reported and the config read
again without it.

sudoers files are read by sudo's own parser, `visudo -c -f` on one file that
`@include`s each of them: it names the file and line of a syntax error, and
stops there, so a file it names is reported and the rest read again.

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
    log_dir: str = ""  # httpd sites: the project's log directory, stood in for


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


# --------------------------------------------------------------------------- httpd sites

APACHE_MODULES = "/usr/lib/apache2/modules"
_SITE_ERROR = re.compile(r"Syntax error on line (\d+) of (\S+?):?$")


def _site_keys(text: str) -> set[str]:
    """What two sites in one server config must not share: Listen ports and
    WSGIDaemonProcess names."""
    return {f"listen {_port(m)}" for m in re.findall(r"(?mi)^\s*Listen\s+(\S+)", text)} | {
        f"daemon {m}" for m in re.findall(r"(?mi)^\s*WSGIDaemonProcess\s+(\S+)", text)
    }


def _port(address: str) -> str:
    return address.rsplit(":", 1)[-1]


def _stand_ins(sites: list[HostFile]) -> tuple[list[int], dict[int, int]]:
    """The sites to read (identical sites once) and, for each, the number of
    the stand-in names its copy gets (0: its own). A group (one project of
    one bundle) whose Listen ports or daemon names an earlier group took gets
    a number of its own, so no two groups clash and one config holds all."""
    groups: dict[str, list[int]] = {}
    for i, site in enumerate(sites):
        groups.setdefault(site.group or site.ref, []).append(i)
    seen: set[str] = set()
    taken: set[str] = set()
    read, number, renamed = [], {}, 0
    for members in groups.values():
        fresh = [i for i in members if sites[i].text not in seen]
        seen.update(sites[i].text for i in members)
        if not fresh:
            continue
        keys = set().union(*(_site_keys(sites[i].text) for i in fresh))
        k = 0
        if keys & taken:
            renamed += 1
            k = renamed
        else:
            taken |= keys
        read += fresh
        number.update((i, k) for i in fresh)
    return read, number


def _renamed(text: str, k: int) -> str:
    """The copy of stand-in `k`: each address it listens on becomes one of
    127.0.k.1, 127.0.k.2, ... (k above 255 spills into the second octet),
    same port; its daemon names suffixed where they are named."""
    addresses: dict[str, str] = {}

    def listen(m: re.Match) -> str:
        host = m[2].rpartition(":")[0]
        stand_in = addresses.setdefault(host, f"127.{k >> 8 & 255}.{k & 255}.{len(addresses) + 1}")
        return f"{m[1]}{stand_in}:{_port(m[2])}"

    text = re.sub(r"(?mi)^(\s*Listen\s+)(\S+)", listen, text)
    for name in re.findall(r"(?mi)^\s*WSGIDaemonProcess\s+(\S+)", text):
        new, old = f"{name}-opsbundle-{k}", re.escape(name)
        text = re.sub(rf"(?mi)^(\s*WSGI(?:DaemonProcess|ProcessGroup)\s+){old}(?!\S)",
                      rf"\g<1>{new}", text)  # fmt: skip
        text = re.sub(rf"(?i)(\bprocess-group=){old}(?!\S)", rf"\g<1>{new}", text)
    return text


def _site_copy(site: HostFile, folder: Path, k: int) -> str:
    text = _renamed(site.text, k) if k else site.text
    if site.name:
        user = re.escape(site.name)
        text = re.sub(rf"\b((?:user|group)=){user}(?!\S)", r"\1www-data", text)
    if site.log_dir:
        text = text.replace(site.log_dir.rstrip("/") + "/", f"{folder}/log/")
    return text.replace("@PYTHON3_SITELIB@", str(folder))


def check_sites(sites: list[HostFile], workdir: Path) -> list[Finding]:
    if not sites:
        return []
    if shutil.which("apache2") is None or not Path(APACHE_MODULES, "mod_wsgi.so").is_file():
        return [
            Finding("NAT002", sites[0].shown,
                    "apache2 with mod_wsgi is not installed (apache2, libapache2-mod-wsgi-py3): "
                    "the httpd sites were not read", bundle=sites[0].ref)
        ]  # fmt: skip
    folder = workdir / "httpd"
    (folder / "log").mkdir(parents=True, exist_ok=True)
    read, number = _stand_ins(sites)
    paths = {}
    for i in read:
        paths[i] = folder / f"site-{i}.conf"
        paths[i].write_text(_site_copy(sites[i], folder, number[i]), encoding="utf-8")
    by_site = _apache_check(folder, read, paths, [site.text for site in sites])
    same: dict[str, int] = {}
    for i, site in enumerate(sites):
        same.setdefault(site.text, i)
    return _per_file(sites, same, by_site, "apache2 -t")


def _per_file(files: list[HostFile], first: dict, said: dict, program: str) -> list[Finding]:
    """A finding for each line `program` said about a file (`said` is keyed
    by the index of the first file with the same text: identical files were
    read once and share its answer)."""
    return [
        Finding("NAT001", f.shown, f"{program} ({f.label}): {line}", bundle=f.ref)
        for f in files
        for line in said.get(first[f.text], [])
    ]


def _apache_check(folder: Path, which: list[int], paths: dict[int, Path], texts: list[str]) -> dict:
    """site index -> apache2's complaint, from one `apache2 -t` over `which`
    (again without a site it names; one run each when it names none). The
    line shown is the rendered site's (`texts`): the copy read has the same
    lines, some with stand-ins."""
    out: dict[int, list[str]] = {}
    which = list(which)
    while which:
        conf = folder / f"httpd-{len(which)}.conf"
        conf.write_text(
            "".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so\n"
                    for m in ("mpm_event", "authz_core", "wsgi"))
            + f"ServerRoot {folder}\nServerName localhost\nPidFile {folder}/pid\n"
            f"Mutex file:{folder} default\nDefaultRuntimeDir {folder}\n"
            f"ErrorLog {folder}/error.log\n"
            + "".join(f"Include {paths[i]}\n" for i in which),
            encoding="utf-8",
        )  # fmt: skip
        done = _run(["apache2", "-t", "-f", str(conf)])
        lines = [ln for ln in (done.stderr + done.stdout).strip().splitlines()
                 if ln.strip() and "Syntax OK" not in ln]  # fmt: skip
        if done.returncode == 0:
            return out
        owner, message = None, lines
        for k, line in enumerate(lines):
            m = _SITE_ERROR.search(line)
            if m:
                owner = next((i for i in which if str(paths[i]) == m[2]), None)
                if owner is not None:
                    site_lines = texts[owner].splitlines()
                    n_line = int(m[1])
                    shown = site_lines[n_line - 1].strip() if 0 < n_line <= len(site_lines) else ""
                    rest = " ".join(ln.strip() for ln in lines[k + 1 :]) or line
                    message = [f"line {n_line} of the rendered site ({shown!r}): {rest}"]
                break
        if owner is None:
            if len(which) == 1:
                out[which[0]] = lines or [f"exit {done.returncode}"]
                return out
            for i in which:
                out.update(_apache_check(folder, [i], paths, texts))
            return out
        out[owner] = message
        which.remove(owner)
    return out


# --------------------------------------------------------------------------- sudoers

_SUDO_ERROR = re.compile(r"^(/\S+?):(\d+):(\d+): (.*)$")


def check_sudoers(files: list[HostFile], workdir: Path) -> list[Finding]:
    if not files:
        return []
    if shutil.which("visudo") is None:
        return [
            Finding("NAT002", files[0].shown,
                    "visudo is not installed (sudo): the sudoers files were not read",
                    bundle=files[0].ref)
        ]  # fmt: skip
    folder = workdir / "sudoers"
    folder.mkdir(exist_ok=True)
    paths, first = [], {}
    for i, entry in enumerate(files):
        first.setdefault(entry.text, i)
        path = folder / f"sudoers-{i}"
        path.write_text(entry.text, encoding="utf-8")
        paths.append(path)
    which = sorted(set(first.values()))  # identical files once
    out: dict[int, list[str]] = {}
    while which:
        main = folder / f"main-{len(which)}"
        main.write_text("".join(f"@include {paths[i]}\n" for i in which), encoding="utf-8")
        done = _run(["visudo", "-c", "-f", str(main)])
        if done.returncode == 0:
            break
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        named = [m for m in map(_SUDO_ERROR.match, lines) if m]
        owner = next((i for m in named for i in which if str(paths[i]) == m[1]), None)
        if owner is None:  # nothing names one of them: say so on each
            for i in which:
                out[i] = [" ".join(ln.strip() for ln in lines) or f"exit {done.returncode}"]
            break
        m = next(m for m in named if m[1] == str(paths[owner]))
        text_lines = files[owner].text.splitlines()
        n = int(m[2])
        shown = text_lines[n - 1].strip() if 0 < n <= len(text_lines) else ""
        out[owner] = [f"line {n} of the rendered file ({shown!r}): {m[4]}"]
        which.remove(owner)
    return _per_file(files, first, out, "visudo -c")


# --------------------------------------------------------------------------- projects


def host_files(job):
    """The units, logrotate files, httpd sites and sudoers files one project's
    package installs."""
    shown_unit = template_shown(job.bundle, "unit")
    shown_logrotate = template_shown(job.bundle, "logrotate")
    units, rotates, sites, sudoers = [], [], [], []
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
    for app, text in job.renderings("httpd"):
        label = f"httpd site {app['name']} of {proj['package']}"
        sites.append(
            HostFile(template_shown(job.bundle, "httpd"), label, text, proj.get("user", ""),
                     job.bundle.ref, group, log_dir=proj.get("log_dir", ""))
        )  # fmt: skip
    for _, text in job.renderings("sudoers"):
        label = f"sudoers of {proj['package']}"
        sudoers.append(HostFile(template_shown(job.bundle, "sudoers"), label, text,
                                proj.get("user", ""), job.bundle.ref, group))  # fmt: skip
    return units, rotates, sites, sudoers


def project_inputs(job, on_host: tuple, **fields) -> dict:
    """What the rpm or deb engine's check reads of one project, as JSON data
    (the cache keys on it): its package, host files (host_files()) and `fields`."""
    from dataclasses import asdict

    units, rotates, sites, sudoers = on_host
    return {
        "package": job.project["package"],
        "units": [asdict(u) for u in units],
        "rotates": [asdict(r) for r in rotates],
        "sites": [asdict(s) for s in sites],
        "sudoers": [asdict(s) for s in sudoers],
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
    """The units (one systemd-analyze), logrotate files (one logrotate),
    httpd sites (one apache2 per bundle shipping a project) and sudoers files
    (one visudo) of every prepared project."""
    units = [HostFile(**u) for _, p in projects for u in p["units"]]
    rotates = [HostFile(**r) for _, p in projects for r in p["rotates"]]
    sites = [HostFile(**s) for _, p in projects for s in p.get("sites", ())]
    sudoers = [HostFile(**s) for _, p in projects for s in p.get("sudoers", ())]
    return (verify_units(units, workdir) + check_logrotate(rotates, workdir)
            + check_sites(sites, workdir) + check_sudoers(sudoers, workdir))  # fmt: skip


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

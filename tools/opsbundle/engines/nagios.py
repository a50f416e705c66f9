"""nagios4 -v: Nagios's own pre-flight check, on the rendered object files.

A bundle ships object files for /etc/nagios4/conf.d/ and resource files; the
check writes a standalone main configuration that loads exactly those (the
NRPE files are for the monitored hosts and are not nagios objects), runs as
the current user and keeps its check results in the scratch folder. Errors
and warnings both fail: a warning such as a service without contacts means
nobody is told. Parse errors name the file and line; unresolved references
("host 'x' not found") do not, so they point at the template's first line.

Every bundle of the run goes to one nagios4 (engines.jointly), each bundle's
names kept apart: every name its objects define (host_name, command_name,
contact_name, the *group_name and timeperiod_name of their own definitions,
template `name`) becomes `ob<k>-<name>` wherever a directive that refers to
objects names it. A bundle whose objects reach by wildcard (`*`) is checked
by itself. When the joint run fails, halves run until each failing bundle
runs alone, which is exactly the one-bundle check.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess

from . import jointly, placed

TOOL = "nagios"
BINARY = "nagios4"
PACKAGE = "nagios4-core"
_LINE = re.compile(r"in file '(?P<file>[^']+)' on line (?P<line>\d+)")


def _main_cfg(workdir, objects, resources) -> str:
    results = workdir / "check-results"
    results.mkdir(exist_ok=True)
    lines = [f"cfg_file={p}" for p in objects] + [f"resource_file={p}" for p in resources]
    lines += [
        f"check_result_path={results}",
        f"nagios_user={pwd.getpwuid(os.getuid()).pw_name}",
        f"nagios_group={grp.getgrgid(os.getgid()).gr_name}",
        "illegal_macro_output_chars=`~$&|'\"<>",
    ]
    return "\n".join(lines) + "\n"


def _objects(rendered):
    objects = [(s, p, d) for s, p, d in rendered.files if "/nagios4/conf.d/" in d]
    resources = [(s, p, d) for s, p, d in rendered.files if d.endswith("resource.cfg")]
    return objects, resources


def _problems(workdir, main_name: str, objects, resources) -> tuple[int, list[str]]:
    main = workdir / main_name
    main.write_text(_main_cfg(workdir, objects, resources), encoding="utf-8")
    done = subprocess.run(
        [BINARY, "-v", str(main)], capture_output=True, text=True, timeout=120, check=False
    )
    problems = [
        ln.strip()
        for ln in (done.stdout + done.stderr).splitlines()
        if ln.strip().startswith(("Error:", "Warning:"))
    ]
    return done.returncode, problems


def _check_alone(rendered, n: int, workdir) -> list:
    objects, resources = _objects(rendered)
    code, problems = _problems(
        workdir, f"nagios-{n}.cfg", [p for _, p, _ in objects], [p for _, p, _ in resources]
    )
    if code == 0 and not problems:
        return []
    by_path = {str(p): (s, d) for s, p, d in objects + resources}
    found = []
    for line in problems or [f"nagios4 -v exited {code}"]:
        m = _LINE.search(line)
        found.append(
            placed(
                "nagios4 -v",
                rendered.ref,
                by_path,
                (objects[0][0], objects[0][2]),
                line,
                m["file"] if m else None,
                m["line"] if m else None,
            )
        )
    return found


# directives naming the object itself, per object type (templates: `name`)
IDENTITY = ("host_name", "hostgroup_name", "servicegroup_name", "command_name", "contact_name",
            "contactgroup_name", "timeperiod_name", "name")  # fmt: skip
# directives whose values name other objects (lists; commands before their `!` arguments)
REFERENCES = (*IDENTITY, "use", "hostgroups", "servicegroups", "members", "contacts",
              "contact_groups", "contactgroups", "parents", "check_command", "event_handler",
              "check_period", "notification_period", "host_notification_period",
              "service_notification_period", "host_notification_commands",
              "service_notification_commands", "dependent_host_name",
              "dependent_hostgroup_name", "escalation_period", "exclude")  # fmt: skip
_DEFINE = re.compile(r"define\s+(\w+)\s*\{(.*?)\}", re.S)
_DIRECTIVE = re.compile(r"^(\s*)(\w+)([ \t]+)(.*?)\s*$", re.M)


def _defined(text: str) -> set[str]:
    names = set()
    for kind, body in _DEFINE.findall(text):
        for m in _DIRECTIVE.finditer(body):
            key = m[2]
            if key == "name" or (key == f"{kind}_name" and key in IDENTITY):
                names.add(m[4].split(";")[0].strip())
    return names


def _rename(text: str, names: set[str], prefix: str) -> str | None:
    """`text` with each name in `names` prefixed where a referring directive
    uses it; None when a directive reaches objects by wildcard."""
    wildcard = False

    def one(m: re.Match) -> str:
        nonlocal wildcard
        indent, key, gap, value = m.groups()
        if key not in REFERENCES:
            return m.group()
        head, args = value, ""
        if key in ("check_command", "event_handler") and "!" in value:
            head, args = value.split("!", 1)
            args = "!" + args
        tokens = []
        for token in head.split(","):
            bare = token.strip()
            neg = bare.startswith("!")
            bare = bare.lstrip("!")
            if bare == "*" or "*" in bare:
                wildcard = True
            tokens.append(("!" if neg else "") + (prefix + bare if bare in names else bare))
        return f"{indent}{key}{gap}{','.join(tokens)}{args}"

    out = _DIRECTIVE.sub(one, text)
    return None if wildcard else out


def _joint_passes(members, workdir) -> bool:
    work = workdir / f"nagios-set-{members[0][0]}-{len(members)}"
    work.mkdir()
    objects, resources = [], []
    for k, rendered, texts in members:
        for (_, path, _), text in zip(_objects(rendered)[0], texts, strict=True):
            copy = work / f"{k}-{path.name}"
            copy.write_text(text, encoding="utf-8")
            objects.append(copy)
        resources += [p for _, p, _ in _objects(rendered)[1]]
    code, problems = _problems(work, "nagios.cfg", objects, resources)
    return code == 0 and not problems


def check(batch, workdir) -> list:
    joint, found = [], []
    for k, rendered in enumerate(batch):
        objects, _ = _objects(rendered)
        if not objects:
            continue
        texts = [p.read_text(encoding="utf-8") for _, p, _ in objects]
        names = set().union(*(_defined(t) for t in texts))
        renamed = [_rename(t, names, f"ob{k}-") for t in texts]
        if any(r is None for r in renamed):
            found += _check_alone(rendered, k, workdir)
        else:
            joint.append((k, rendered, renamed))
    found += jointly(
        joint,
        lambda members: _joint_passes(members, workdir),
        lambda member: _check_alone(member[1], member[0], workdir),
    )
    return found

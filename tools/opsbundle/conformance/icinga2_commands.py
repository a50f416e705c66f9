"""Run an icinga2 implementation's check commands against stand-ins.

The bundle is rendered from the example inventory pointed at the stand-ins
and validated by `icinga2 daemon -C`, which also dumps every object it built
(hosts, the services its apply rules created, CheckCommands). For one
service per catalog ID, the CheckCommand's `command` array, its `arguments`
(`set_if`, `value`) and `env` are resolved the way icinga2 does it: `$name$`
from the service's vars, then the host's, then the command's; `$address$`
is the stand-ins' 127.0.0.1; `$$` is `$`. The argv then runs as is (no
shell), so the real plugins decide. Phases: conformance/command_phases.py.
"""

from __future__ import annotations

import re

from ..engines import icinga2 as engine
from .command_phases import Service, run_with_standins
from .result import Result

_MACRO = re.compile(r"\$\$|\$([^$\s]*)\$")
_FALSE = ("", "false", "0", "None")


def resolve(text, scopes: list[dict]) -> str:
    def one(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        if name == "address":
            return "127.0.0.1"
        for scope in scopes:
            if name in scope:
                value = scope[name]
                return str(value).lower() if isinstance(value, bool) else str(value)
        raise KeyError(f"macro ${name}$ does not resolve")

    return _MACRO.sub(one, str(text))


def command_argv(command: dict, scopes: list[dict]) -> tuple[list[str], dict]:
    props = command["properties"]
    argv = [resolve(part, scopes) for part in props.get("command") or []]
    arguments = props.get("arguments") or {}
    for key in sorted(arguments, key=lambda k: ((arguments[k] or {}).get("order", 0), k)):
        spec = arguments[key]
        if isinstance(spec, dict):
            if "set_if" in spec and resolve(spec["set_if"], scopes) in _FALSE:
                continue
            argv.append(key)
            if "value" in spec:
                argv.append(resolve(spec["value"], scopes))
        else:
            argv += [key, resolve(spec, scopes)]
    env = {k: resolve(v, scopes) for k, v in (props.get("env") or {}).items()}
    return argv, env


def from_objects(objects: list[dict]) -> list[Service]:
    by_type: dict[str, dict[str, dict]] = {}
    for obj in objects:
        by_type.setdefault(obj["type"], {})[obj["name"]] = obj
    hosts, commands = by_type.get("Host", {}), by_type.get("CheckCommand", {})
    found, seen = [], set()
    for obj in sorted(by_type.get("Service", {}).values(), key=lambda o: o["properties"]["__name"]):
        props = obj["properties"]
        svc_vars = props.get("vars") or {}
        cid = svc_vars.get("check_id")
        if not cid or cid in seen:
            continue
        seen.add(cid)
        host = hosts[props["host_name"]]["properties"]
        command = commands[props["check_command"]]
        scopes = [svc_vars, host.get("vars") or {}, command["properties"].get("vars") or {}]
        argv, env = command_argv(command, scopes)
        args = [str(svc_vars.get(k, "")) for k in ("os_args", "os_pattern", "os_warning",
                                                     "os_critical")]  # fmt: skip
        found.append(Service(cid, props["check_command"], args, argv, env))
    return found


def services(rendered, work) -> list[Service]:
    confs = [p for d, p in sorted(rendered) if d.startswith("/etc/icinga2/")]
    done = engine.validate(work, confs)
    if done.returncode != 0:
        raise ValueError("icinga2 daemon -C: " + " ".join(done.stdout.split())[-400:])
    return from_objects(engine.objects(work))


def run(ctx, bundle, files, work) -> list[Result]:
    return run_with_standins(ctx, bundle, work, services)

"""Run a nagios implementation's rendered check commands against stand-ins.

The bundle is rendered again from the example inventory with its endpoints
and ports pointed at the stand-ins (tools/opsbundle/conformance/standins.py).
Each service's check_command is expanded the way nagios does it ($ARGn$ from
the service, $USERn$ from the resource files, $HOSTADDRESS$, `$$` for `$`)
and run with /bin/sh, so the real plugins (check_http, check_tcp,
check_procs, ...) decide. Three phases:
    healthy      every stand-in answers well       -> OK (0)
    failing      500s, alarms, a backend down, slow answers, daemons killed,
                 bad CLI rows                      -> WARNING/CRITICAL per check
    unreachable  stand-ins stopped, CLI failing    -> CRITICAL (UNKNOWN for the CLI)
The MySQL checks have no stand-in here (no MariaDB server): they are
checked by `nagios4 -v` only, and the bundle README says so.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .. import catalog, inventory
from . import Result
from .standins import Daemon, HTTPStandIn, OpenStackCLI, TCPStandIn

PLUGINS = "/usr/lib/nagios/plugins"
SLOW_WARN, SLOW_CRIT, SLOW_DELAY = 0.1, 0.2, 0.35
_DEFINE = re.compile(r"define\s+(\w+)\s*\{(.*?)\n\s*\}", re.DOTALL)
_MACRO = re.compile(r"\$(?:ARG\d+|USER\d+|HOSTADDRESS)\$")
_NRPE = re.compile(r"^command\[(?P<name>[^\]]+)\]=(?P<line>.+)$", re.MULTILINE)

# `openstack ... -f value` rows per check: (healthy rows, one failing row).
CLI_ROWS = {
    "nova-services-up": (["enabled up", "disabled down"], "enabled down"),
    "nova-services-enabled": (["enabled up", "enabled down"], "disabled"),
    "neutron-agents-up": (["True True", "False False"], "False True"),
    "neutron-agents-enabled": (["True", "True"], "False"),
    "cinder-services-up": (["enabled up", "disabled down"], "enabled down"),
    "cinder-services-enabled": (["enabled", "enabled"], "disabled"),
    "nova-instances-error": ([], "0c5e0f5c-6f2c-4a53-9d8e-3d1b0e8f4a11"),
    "cinder-volumes-error": (["available", "in-use"], "error_deleting"),
}
USAGE_ROWS = {"healthy": ["100", "50"], "warning": ["100", "85"], "critical": ["100", "95"]}
PHASES = ("healthy", "failing", "unreachable")


def objects(text: str) -> list[tuple[str, dict]]:
    found = []
    for kind, body in _DEFINE.findall(text):
        attrs = {}
        for line in body.splitlines():
            line = line.strip()
            if line and not line.startswith(("#", ";")):
                key, _, value = line.partition(" ")
                attrs[key] = value.strip()
        found.append((kind, attrs))
    return found


def expand(line: str, args: list[str], users: dict[str, str]) -> str:
    macros = {f"$ARG{i}$": a for i, a in enumerate(args, 1)}
    macros.update({f"${k}$": v for k, v in users.items()})
    macros["$HOSTADDRESS$"] = "127.0.0.1"
    out = _MACRO.sub(lambda m: macros.get(m.group(0), m.group(0)), line)
    return out.replace("$$", "$")


def _resources(text: str) -> dict[str, str]:
    users = {}
    for line in text.splitlines():
        m = re.match(r"^\$(USER\d+)\$=(.*)$", line.strip())
        if m:
            users[m[1]] = m[2]
    return users


def _run(command: str, env=None) -> tuple[int, str]:
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).strip().splitlines()[0:1] or [""]


class Plan:
    """The rendered services, each with its command expanded, and the stand-ins."""

    def __init__(self, ctx, bundle, work: Path):
        self.http, self.tcp, self.memcached = HTTPStandIn(SLOW_DELAY), TCPStandIn(), TCPStandIn()
        self.cli = OpenStackCLI(work)
        self.ref = bundle.ref
        known = catalog.checks(ctx.registry)
        self.process = {cid: c.get("process", "") for cid, c in known.items()}
        slow = {
            cid: {"warning_seconds": SLOW_WARN, "critical_seconds": SLOW_CRIT}
            for cid, c in known.items()
            if c.get("kind") == "api-response-time"
        }
        base = f"http://127.0.0.1:{self.http.port}"
        overrides = {
            "api_endpoints": {
                c["service"]: f"{base}/{c['service']}/"
                for c in known.values()
                if str(c.get("kind", "")).startswith("api-")
            },
            "service_ports": {
                "amqp": self.tcp.port,
                "rabbitmq_management": self.http.port,
                "haproxy_stats": self.http.port,
                "memcached": self.memcached.port,
                "mysql": 3306,
            },
            "check_thresholds": slow,
        }
        files = inventory.render(ctx, bundle, work / "standin-render", overrides)
        texts = {dest: path.read_text(encoding="utf-8") for dest, path in files}
        users = {"USER1": PLUGINS}
        nrpe = {}
        commands, services = {}, []
        for dest, text in texts.items():
            if dest.endswith("resource.cfg"):
                users.update(_resources(text))
            elif "/nrpe.d/" in dest:
                nrpe.update({m["name"]: m["line"] for m in _NRPE.finditer(text)})
            elif dest.endswith(".cfg"):
                for kind, attrs in objects(text):
                    if kind == "command":
                        commands[attrs["command_name"]] = attrs["command_line"]
                    elif kind == "service" and "_CHECK_ID" in attrs:
                        services.append(attrs)
        self.services = []
        for svc in services:
            name, *args = svc["check_command"].split("!")
            line = commands.get(name, "")
            if name == "opsbundles-nrpe":
                line, args = nrpe.get(args[0], ""), []
            self.services.append((svc["_CHECK_ID"], name, args, expand(line, args, users)))

    def stop(self) -> None:
        for s in (self.http, self.tcp, self.memcached):
            s.stop()


def _expect_failing(name: str, args: list[str]) -> list[tuple[str, int]]:
    """(what the stand-ins do, the exit code the check must give) when failing."""
    if name in ("opsbundles-http",):
        return [("error", 2)]
    if name == "opsbundles-http-time":
        return [("slow", 2), ("error", 2)]
    if name in ("opsbundles-rabbitmq-alarm", "opsbundles-haproxy-backends"):
        return [("alarm", 2)]
    if name == "opsbundles-memcached":
        return [("garbage", 2)]
    if name == "opsbundles-openstack-count":
        warn, crit = int(args[2]), int(args[3])
        cases = [(f"rows:{crit}", 2)] if crit < 1000 else []
        return cases + ([(f"rows:{warn}", 1)] if warn < crit else [])
    if name == "opsbundles-openstack-usage":
        return [("usage:warning", 1), ("usage:critical", 2)]
    if name == "opsbundles-nrpe":
        return [("killed", 2)]
    return []


def run(ctx, bundle, files, work) -> list[Result]:
    ref = bundle.ref
    try:
        plan = Plan(ctx, bundle, work)
    except (inventory.InventoryError, KeyError, ValueError) as exc:
        return [Result(ref, "commands: healthy -> OK", "render", False, str(exc))]
    results: list[Result] = []
    daemons: dict[str, Daemon] = {}
    try:
        runnable = [
            s for s in plan.services if s[1] not in ("opsbundles-mysql", "opsbundles-mysql-status")
        ]
        for cid, name, args, line in runnable:
            if not line or _MACRO.search(line):
                results.append(
                    Result(
                        ref,
                        "commands: healthy -> OK",
                        cid,
                        False,
                        f"command {name} does not expand: {line[:120]}",
                    )
                )
                continue
            results += _healthy(plan, daemons, cid, name, line)
            results += _failing(plan, daemons, cid, name, args, line)
        plan.stop()
        for cid, name, _args, line in runnable:
            results += _unreachable(plan, cid, name, line)
    finally:
        for d in daemons.values():
            d.stop()
    return results


def _healthy(plan, daemons, cid, name, line) -> list[Result]:
    plan.http.mode = plan.tcp.mode = plan.memcached.mode = "ok"
    rows = CLI_ROWS.get(cid, ([], ""))[0]
    plan.cli.answer(USAGE_ROWS["healthy"] if name == "opsbundles-openstack-usage" else rows)
    if name == "opsbundles-nrpe":
        daemons[cid] = Daemon(plan.process[cid])
    code, out = _run(line, plan.cli.env())
    return [
        Result(
            plan.ref,
            "commands: healthy -> OK",
            f"{cid} ({name})",
            code == 0,
            f"exit {code}: {out[0]}",
        )
    ]


def _failing(plan, daemons, cid, name, args, line) -> list[Result]:
    results = []
    for what, want in _expect_failing(name, args):
        plan.http.mode = plan.memcached.mode = "ok"
        if what in ("error", "slow", "alarm"):
            plan.http.mode = what
        elif what == "garbage":
            plan.memcached.mode = "garbage"
        elif what.startswith("rows:"):
            good, bad = CLI_ROWS[cid]
            plan.cli.answer(good + [bad] * int(what.split(":")[1]))
        elif what.startswith("usage:"):
            plan.cli.answer(USAGE_ROWS[what.split(":")[1]])
        elif what == "killed" and cid in daemons:
            daemons.pop(cid).stop()
        code, out = _run(line, plan.cli.env())
        results.append(
            Result(
                plan.ref,
                "commands: failing -> WARNING/CRITICAL",
                f"{cid} ({what})",
                code == want,
                f"want exit {want}, got {code}: {out[0]}",
            )
        )
    plan.http.mode = plan.memcached.mode = "ok"
    return results


def _unreachable(plan, cid, name, line) -> list[Result]:
    if name == "opsbundles-nrpe":
        return []  # a process check has nothing to reach; "killed" covers it
    cli = name.startswith("opsbundles-openstack")
    plan.cli.answer([], fail=cli)
    want = 3 if cli else 2
    code, out = _run(line, plan.cli.env())
    return [
        Result(
            plan.ref,
            "commands: unreachable -> CRITICAL",
            f"{cid} ({name})",
            code == want,
            f"want exit {want}, got {code}: {out[0]}",
        )
    ]

"""Rendered check commands against stand-ins: the phases and what each expects.

Shared by the nagios and icinga2 runners, which only differ in how they turn
their tool's rendered objects into commands (`Service`). The commands are
named alike in both bundles (opsbundles-http, opsbundles-openstack-count,
...), which is what lets one table of expectations serve both:
    healthy      every stand-in answers well       -> OK (0)
    failing      500s, alarms, backends down, a queue backlog, slow answers,
                 daemons killed, bad CLI rows      -> WARNING/CRITICAL per check
                 (and the boundary cases just short of a threshold -> OK)
    unreachable  stand-ins stopped, CLI failing    -> CRITICAL (UNKNOWN for the CLI)
The MySQL commands have no stand-in here (no MariaDB server): only the
tools' own validation covers them, and the bundle READMEs say so.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog, inventory
from .locks import PRIVATE_PROCESSES, exclusive
from .result import Result
from .standins import Daemon, HTTPStandIn, OpenStackCLI, TCPStandIn

SLOW_WARN, SLOW_CRIT, SLOW_DELAY = 0.1, 0.2, 0.35
BACKLOG_WARN, BACKLOG_CRIT, BACKLOG_HEALTHY = 100, 1000, 12
MAX_DOWN = 1
HEALTHY = "commands: healthy -> OK"
FAILING = "commands: failing -> WARNING/CRITICAL"
UNREACHABLE = "commands: unreachable -> CRITICAL"
NO_STANDIN = ("opsbundles-mysql", "opsbundles-mysql-status")
PROCESS = ("opsbundles-nrpe", "opsbundles-procs")
LOCK = os.path.join(tempfile.gettempdir(), "opsbundle-standin-daemons.lock")

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


@dataclass
class Service:
    """One check as the tool would run it: argv and extra environment.
    `args` are the check's own values (for the openstack-count command:
    listing, pattern, warning, critical)."""

    cid: str
    name: str
    args: list[str]
    argv: list[str]
    env: dict = field(default_factory=dict)


class StandIns:
    def __init__(self, work: Path):
        self.http, self.tcp, self.memcached = HTTPStandIn(SLOW_DELAY), TCPStandIn(), TCPStandIn()
        self.cli = OpenStackCLI(work)

    def overrides(self, known: dict) -> dict:
        """Inventory values that point every check at the stand-ins."""
        base = f"http://127.0.0.1:{self.http.port}"
        return {
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
            "check_thresholds": {
                **{
                    cid: {"warning_seconds": SLOW_WARN, "critical_seconds": SLOW_CRIT}
                    for cid, c in known.items()
                    if c.get("kind") == "api-response-time"
                },
                "rabbitmq-queue-backlog": {
                    "warning_messages": BACKLOG_WARN,
                    "critical_messages": BACKLOG_CRIT,
                },
                "haproxy-backends-down": {"max_down": MAX_DOWN},
            },
        }

    def reset(self) -> None:
        self.http.mode = self.tcp.mode = self.memcached.mode = "ok"
        self.http.ready, self.http.backends_down = BACKLOG_HEALTHY, 0

    def stop(self) -> None:
        for s in (self.http, self.tcp, self.memcached):
            s.stop()


def _run(service: Service, stand: StandIns) -> tuple[int, str]:
    done = subprocess.run(
        service.argv,
        capture_output=True,
        text=True,
        timeout=60,
        env={**stand.cli.env(), **service.env},
        check=False,
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, lines[0] if lines else ""


def _failing_cases(service: Service) -> list[tuple[str, int]]:
    """(what the stand-ins do, the exit code the check must give)."""
    name, args = service.name, service.args
    if name == "opsbundles-http":
        return [("error", 2)]
    if name == "opsbundles-http-time":
        return [("slow", 2), ("error", 2)]
    if name == "opsbundles-rabbitmq-alarm":
        return [("alarm", 2)]
    if name == "opsbundles-rabbitmq-backlog":
        return [
            (f"ready:{BACKLOG_WARN - 1}", 0),
            (f"ready:{BACKLOG_WARN}", 1),
            (f"ready:{BACKLOG_CRIT}", 2),
            ("error", 2),
            ("http-garbage", 3),
        ]
    if name == "opsbundles-haproxy-backends":
        return [
            (f"down:{MAX_DOWN}", 0),
            (f"down:{MAX_DOWN + 1}", 2),
            ("error", 2),
            ("http-garbage", 3),
        ]
    if name == "opsbundles-memcached":
        return [("garbage", 2)]
    if name == "opsbundles-openstack-count":
        warn, crit = int(args[2]), int(args[3])
        cases = [(f"rows:{crit}", 2)] if crit < 1000 else []
        return cases + ([(f"rows:{warn}", 1)] if warn < crit else [])
    if name == "opsbundles-openstack-usage":
        return [("usage:warning", 1), ("usage:critical", 2)]
    if name in PROCESS:
        return [("killed", 2)]
    return []


def _machine_lock():
    """Process checks see every process of the machine: two runs at once (two
    checkouts, two helpers) would see each other's stand-in daemons, so runs
    take turns, unless this run has a process table of its own (isolated.py)."""
    if os.environ.get(PRIVATE_PROCESSES):
        return contextlib.nullcontext()
    return exclusive(LOCK)


def run_phases(ref: str, ctx, stand: StandIns, services: list[Service]) -> list[Result]:
    with _machine_lock():
        return _phases(ref, ctx, stand, services)


def _phases(ref: str, ctx, stand: StandIns, services: list[Service]) -> list[Result]:
    process = {cid: c.get("process", "") for cid, c in catalog.checks(ctx.registry).items()}
    runnable = [s for s in services if s.name not in NO_STANDIN]
    results: list[Result] = []
    daemons: dict[str, Daemon] = {}
    try:
        for svc in runnable:
            if not svc.argv:  # a runner leaves argv empty when macros do not expand
                results.append(Result(ref, HEALTHY, svc.cid, False, "command does not expand"))
                continue
            stand.reset()
            rows = CLI_ROWS.get(svc.cid, ([], ""))[0]
            stand.cli.answer(USAGE_ROWS["healthy"] if svc.name.endswith("usage") else rows)
            if svc.name in PROCESS:
                daemons[svc.cid] = Daemon(process[svc.cid])
            code, out = _run(svc, stand)
            results.append(
                Result(ref, HEALTHY, f"{svc.cid} ({svc.name})", code == 0, f"exit {code}: {out}")
            )
            for what, want in _failing_cases(svc):
                stand.reset()
                if what in ("error", "slow", "alarm"):
                    stand.http.mode = what
                elif what == "garbage":
                    stand.memcached.mode = "garbage"
                elif what == "http-garbage":
                    stand.http.mode = "garbage"
                elif what.startswith("ready:"):
                    stand.http.ready = int(what.split(":")[1])
                elif what.startswith("down:"):
                    stand.http.backends_down = int(what.split(":")[1])
                elif what.startswith("rows:"):
                    good, bad = CLI_ROWS[svc.cid]
                    stand.cli.answer(good + [bad] * int(what.split(":")[1]))
                elif what.startswith("usage:"):
                    stand.cli.answer(USAGE_ROWS[what.split(":")[1]])
                elif what == "killed" and svc.cid in daemons:
                    daemons.pop(svc.cid).stop()
                code, out = _run(svc, stand)
                results.append(
                    Result(ref, FAILING, f"{svc.cid} ({what})", code == want,
                           f"want exit {want}, got {code}: {out}")
                )  # fmt: skip
        stand.stop()
        for svc in runnable:
            if svc.name in PROCESS:
                continue  # nothing to reach; "killed" covers it
            cli = svc.name.startswith("opsbundles-openstack")
            stand.cli.answer([], fail=cli)
            want = 3 if cli else 2
            code, out = _run(svc, stand)
            results.append(
                Result(ref, UNREACHABLE, f"{svc.cid} ({svc.name})", code == want,
                       f"want exit {want}, got {code}: {out}")
            )  # fmt: skip
    finally:
        for d in daemons.values():
            d.stop()
    return results


def run_with_standins(ctx, bundle, work: Path, services_of) -> list[Result]:
    """Render `bundle` pointed at fresh stand-ins, turn the rendered files into
    services with `services_of(files, work)` and run the phases on them."""
    stand = StandIns(work)
    try:
        overrides = stand.overrides(catalog.checks(ctx.registry))
        rendered = inventory.render(ctx, bundle, work / "standin-render", overrides)
        return run_phases(bundle.ref, ctx, stand, services_of(rendered, work))
    except (inventory.InventoryError, KeyError, ValueError, OSError) as exc:
        stand.stop()
        return [Result(bundle.ref, HEALTHY, "render", False, str(exc))]

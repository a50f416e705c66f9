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
The MySQL commands have no stand-in: they run against a real Galera
MariaDB in tools/tests/monitoring/test_commands_cloud.py (with every other
command whose daemon the test cloud runs), as the bundle READMEs say.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog, inventory
from . import isolated
from .result import Result
from .standins import PLACEMENT, HTTPStandIn, NTPStandIn, OpenStackCLI, TCPStandIn

# A healthy stand-in answers at once, but a loaded machine (load 14 on 2 cores)
# has taken up to ~1 s to: healthy stays far below the warning; a slow answer
# sleeps past the critical threshold, and sleeping can only take longer.
SLOW_WARN, SLOW_CRIT, SLOW_DELAY = 2.0, 2.5, 3.0
BACKLOG_WARN, BACKLOG_CRIT, BACKLOG_HEALTHY = 100, 1000, 12
MAX_DOWN = 1
HEALTHY = "commands: healthy -> OK"
FAILING = "commands: failing -> WARNING/CRITICAL"
UNREACHABLE = "commands: unreachable -> CRITICAL"
NO_STANDIN = ("opsbundles-mysql", "opsbundles-mysql-status")
PROCESS = ("opsbundles-nrpe", "opsbundles-procs")
# Checks of the host the command runs on (or of loopback): nothing to stop.
LOCAL = ("opsbundles-disk", "opsbundles-host-alive")
NO_CONSUMER_MAX = 1
CLOCK_WARN, CLOCK_CRIT = 0.5, 2.0

# `openstack ... -f value` rows per check: (healthy rows, one failing row).
CLI_ROWS = {
    "nova-services-up": (["enabled up", "disabled down"], "enabled down"),
    "nova-services-enabled": (["enabled None", "disabled maintenance"], "disabled None"),
    "neutron-agents-up": (["True True", "False False"], "False True"),
    "neutron-agents-enabled": (["True", "True"], "False"),
    "cinder-services-up": (["enabled up", "disabled down"], "enabled down"),
    "cinder-services-enabled": (["enabled None", "disabled maintenance"], "disabled None"),
    "nova-instances-error": ([], "0c5e0f5c-6f2c-4a53-9d8e-3d1b0e8f4a11"),
    "cinder-volumes-error": (["available", "in-use"], "error_deleting"),
}


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
    def __init__(self, work: Path, nodes: int):
        self.http, self.tcp, self.memcached = (
            HTTPStandIn(SLOW_DELAY, nodes),
            TCPStandIn(),
            TCPStandIn(),
        )
        self.ntp = NTPStandIn()
        self.cli = OpenStackCLI(work, f"http://127.0.0.1:{self.http.port}{PLACEMENT}")

    def overrides(self, known: dict, hosts: list[str]) -> dict:
        """Inventory values that point every check at the stand-ins."""
        base = f"http://127.0.0.1:{self.http.port}"
        return {
            "host_addresses": {h: "127.0.0.1" for h in hosts},
            "ntp_server": "127.0.0.1",
            "ntp_port": self.ntp.port,
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
                "rabbitmq-queue-no-consumer": {"max_queues": NO_CONSUMER_MAX},
                "clock-skew": {"warning_seconds": CLOCK_WARN, "critical_seconds": CLOCK_CRIT},
            },
        }

    def reset(self) -> None:
        self.http.mode = self.tcp.mode = self.memcached.mode = "ok"
        self.http.ready, self.http.backends_down, self.http.orphans = BACKLOG_HEALTHY, 0, 0
        self.http.placement = "healthy"
        self.ntp.offset = 0.0

    def stop(self) -> None:
        for s in (self.http, self.tcp, self.memcached, self.ntp):
            s.stop()


def _run(service: Service, stand: StandIns, process: str = "") -> tuple[int, str]:
    """Run one check; a process check in a PID namespace of its own, beside a
    stand-in daemon named `process` (none: the daemon is killed)."""
    argv = isolated.argv(service.argv, process) if service.name in PROCESS else service.argv
    done = subprocess.run(
        argv,
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
    if name == "opsbundles-rabbitmq-no-consumer":
        return [(f"orphans:{NO_CONSUMER_MAX}", 0), (f"orphans:{NO_CONSUMER_MAX + 1}", 1),
                ("error", 2), ("http-garbage", 3)]  # fmt: skip
    if name == "opsbundles-rabbitmq-partitions":
        return [("partition", 2), ("error", 2), ("http-garbage", 3)]
    if name == "opsbundles-ntp-time":
        return [(f"clock:{CLOCK_WARN / 2}", 0), (f"clock:{CLOCK_WARN * 1.5}", 1),
                (f"clock:{-CLOCK_CRIT * 2}", 2)]  # fmt: skip
    if name == "opsbundles-memcached":
        return [("garbage", 2)]
    if name == "opsbundles-openstack-count":
        warn, crit = int(args[2]), int(args[3])
        cases = [(f"rows:{crit}", 2)] if crit < 1000 else []
        return cases + ([(f"rows:{warn}", 1)] if warn < crit else [])
    if name == "opsbundles-openstack-usage":
        return [("usage:warning", 1), ("usage:critical", 2), ("error", 3)]
    if name in PROCESS:
        return [("killed", 2)]
    return []


def run_phases(ref: str, ctx, stand: StandIns, services: list[Service]) -> list[Result]:
    """Every phase of every service. Process checks run in PID namespaces of
    their own (conformance/isolated.py): no machine-wide lock is needed, and
    no process of the machine can make them pass or fail."""
    process = {cid: c.get("process", "") for cid, c in catalog.checks(ctx.registry).items()}
    runnable = [s for s in services if s.name not in NO_STANDIN]
    results: list[Result] = []
    for svc in runnable:
        if not svc.argv:  # a runner leaves argv empty when macros do not expand
            results.append(Result(ref, HEALTHY, svc.cid, False, "command does not expand"))
            continue
        stand.reset()
        rows = CLI_ROWS.get(svc.cid, ([], ""))[0]
        stand.cli.answer(rows)
        code, out = _run(svc, stand, process.get(svc.cid, ""))
        results.append(
            Result(ref, HEALTHY, f"{svc.cid} ({svc.name})", code == 0, f"exit {code}: {out}")
        )
        for what, want in _failing_cases(svc):
            stand.reset()
            alongside = process.get(svc.cid, "")
            if what in ("error", "slow", "alarm", "partition"):
                stand.http.mode = what
            elif what == "garbage":
                stand.memcached.mode = "garbage"
            elif what == "http-garbage":
                stand.http.mode = "garbage"
            elif what.startswith("ready:"):
                stand.http.ready = int(what.split(":")[1])
            elif what.startswith("orphans:"):
                stand.http.orphans = int(what.split(":")[1])
            elif what.startswith("clock:"):
                stand.ntp.offset = float(what.split(":")[1])
            elif what.startswith("down:"):
                stand.http.backends_down = int(what.split(":")[1])
            elif what.startswith("rows:"):
                good, bad = CLI_ROWS[svc.cid]
                stand.cli.answer(good + [bad] * int(what.split(":")[1]))
            elif what.startswith("usage:"):
                stand.http.placement = what.split(":")[1]
            elif what == "killed":
                alongside = ""
            code, out = _run(svc, stand, alongside)
            results.append(
                Result(ref, FAILING, f"{svc.cid} ({what})", code == want,
                       f"want exit {want}, got {code}: {out}")
            )  # fmt: skip
    stand.stop()
    for svc in runnable:
        if svc.name in PROCESS or svc.name in LOCAL:
            continue  # nothing to reach; "killed" covers it
        cli = svc.name.startswith("opsbundles-openstack")
        stand.cli.answer([], fail=cli)
        want = 3 if cli else 2
        code, out = _run(svc, stand)
        results.append(
            Result(ref, UNREACHABLE, f"{svc.cid} ({svc.name})", code == want,
                   f"want exit {want}, got {code}: {out}")
        )  # fmt: skip
    return results


def run_with_standins(ctx, bundle, work: Path, services_of) -> list[Result]:
    """Render `bundle` pointed at fresh stand-ins, turn the rendered files into
    services with `services_of(files, work)` and run the phases on them."""
    try:
        known = inventory.values(ctx, bundle).get("monitored_hosts") or {}
    except inventory.InventoryError as exc:
        return [Result(bundle.ref, HEALTHY, "render", False, str(exc))]
    hosts = sorted({h for role in known.values() for h in role or []})
    stand = StandIns(work, len(known.get("controller") or []))
    try:
        overrides = stand.overrides(catalog.checks(ctx.registry), hosts)
        rendered = inventory.render(ctx, bundle, work / "standin-render", overrides)
        return run_phases(bundle.ref, ctx, stand, services_of(rendered, work))
    except (inventory.InventoryError, KeyError, ValueError, OSError) as exc:
        stand.stop()
        return [Result(bundle.ref, HEALTHY, "render", False, str(exc))]

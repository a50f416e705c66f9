"""Rendered check commands against stand-ins: the phases and what each expects.

Shared by the nagios and icinga2 runners, which only differ in how they turn
their tool's rendered objects into commands (`Service`). The commands are
named alike in both bundles (opsbundles-http, opsbundles-openstack-count,
...), which is what lets one table of expectations serve both:
    healthy      every stand-in answers well       -> OK (0)
    failing      500s, alarms, backends down, a queue backlog, slow answers,
                 daemons killed, bad CLI rows      -> WARNING/CRITICAL per check
                 (and the boundary cases just short of a threshold -> OK)
    unreachable  stand-ins stopped (the NTP server
                 silent), CLI failing              -> CRITICAL (UNKNOWN for the CLI)
The runs that need the stand-ins in one state run at the same time.
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
NTP = "opsbundles-ntp-time"
# Checks of the host the command runs on (or of loopback): nothing to stop.
LOCAL = ("opsbundles-disk", "opsbundles-host-alive")
NO_CONSUMER_MAX = 1
CLOCK_WARN, CLOCK_CRIT = 0.5, 2.0
# checks run at once while the stand-ins hold one state (see _together)
CONCURRENT = 16

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

    def arrange(self, state: tuple) -> None:
        """Put the stand-ins in `state` (settings as `_state` gives them)."""
        s = dict(state)
        self.http.mode, self.memcached.mode, self.tcp.mode = s["http"], s["memcached"], "ok"
        self.http.ready, self.http.orphans = s["ready"], s["orphans"]
        self.http.backends_down, self.http.placement = s["down"], s["placement"]
        self.ntp.offset = s["clock"]
        self.cli.answer(list(s["rows"]))

    def unreachable(self) -> None:
        """The cloud as the unreachable phase sees it: the HTTP and TCP
        daemons are stopped (their ports refuse), the NTP server answers
        nothing. A UDP port that refuses makes check_ntp_time spin on the
        refusals until its timeout, seconds of CPU a run, for the verdict
        an unanswered request gives without any."""
        for s in (self.http, self.tcp, self.memcached):
            s.stop()
        self.ntp.answering = False

    def stop(self) -> None:
        """Everything stopped (again, if the phases stopped some already)."""
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


@dataclass(frozen=True)
class _Case:
    """One run of one check: the phase, the check, what the stand-ins do
    (`what`, "ok" when healthy), the exit code it must give and the process
    its namespace holds beside it."""

    phase: str
    svc: Service
    what: str
    want: int
    alongside: str = ""


def _cases(services: list[Service], process: dict) -> list[_Case]:
    """Every healthy and failing run, in the order they are reported."""
    cases = []
    for svc in services:
        daemon = process.get(svc.cid, "")
        cases.append(_Case(HEALTHY, svc, "ok", 0, daemon))
        for what, want in _failing_cases(svc):
            cases.append(_Case(FAILING, svc, what, want, "" if what == "killed" else daemon))
    return cases


def _state(case: _Case) -> tuple:
    """What the stand-ins must do for `case`, as settings that
    `StandIns.arrange` applies: cases with equal settings can run at the same time."""
    what, cid = case.what, case.svc.cid
    state = {"http": "ok", "memcached": "ok", "ready": BACKLOG_HEALTHY, "orphans": 0,
             "down": 0, "placement": "healthy", "clock": 0.0,
             "rows": tuple(CLI_ROWS.get(cid, ([], ""))[0])}  # fmt: skip
    key, _, value = what.partition(":")
    if what in ("error", "slow", "alarm", "partition"):
        state["http"] = what
    elif what == "garbage":
        state["memcached"] = "garbage"
    elif what == "http-garbage":
        state["http"] = "garbage"
    elif key in ("ready", "orphans", "down"):
        state[key] = int(value)
    elif key == "clock":
        state["clock"] = float(value)
    elif key == "usage":
        state["placement"] = value
    elif key == "rows":
        good, bad = CLI_ROWS[cid]
        state["rows"] = (*good, *[bad] * int(value))
    return tuple(sorted(state.items()))


def _together(runs: list, stand: StandIns) -> list[tuple[int, str]]:
    """Run (service, process) pairs at the same time: most of a check's time
    is waiting (on a slow answer, on ping's interval, on NTP's reply), and
    the stand-ins serve every connection in a thread of its own."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        return list(pool.map(lambda run: _run(run[0], stand, run[1]), runs))


def run_phases(ref: str, ctx, stand: StandIns, services: list[Service]) -> list[Result]:
    """Every phase of every service. The runs that need the stand-ins in one
    state run together, state after state; the results keep the order of
    services and phases. The NTP checks go first: their unreachable run
    waits out check_ntp_time's timeout (seconds), so it waits beside the
    other phases, on a silent NTP server the others do not use. Process
    checks run in PID namespaces of their own (conformance/isolated.py): no
    machine-wide lock is needed, and no process of the machine can make
    them pass or fail."""
    from concurrent.futures import ThreadPoolExecutor

    process = {cid: c.get("process", "") for cid, c in catalog.checks(ctx.registry).items()}
    runnable = [s for s in services if s.name not in NO_STANDIN]
    unexpanded = [s for s in runnable if not s.argv]  # macros that did not expand
    expanded = [s for s in runnable if s.argv]
    cases = _cases(expanded, process)
    said: dict[int, tuple[int, str]] = {}
    groups: dict[tuple, list[int]] = {}
    for i, case in enumerate(cases):
        groups.setdefault(_state(case), []).append(i)
    timed, untimed = [], []  # the groups with an NTP check first, then the rest
    for group in groups.items():
        (timed if any(cases[i].svc.name == NTP for i in group[1]) else untimed).append(group)
    gone = [s for s in expanded if s.name not in PROCESS and s.name not in LOCAL]
    clocks = [s for s in gone if s.name == NTP]

    def run(members: list[int]) -> None:
        runs = [(cases[i].svc, cases[i].alongside) for i in members]
        said.update(zip(members, _together(runs, stand), strict=True))

    def unreachable(services: list[Service], answers, want: int) -> None:
        for svc, answer in zip(services, answers, strict=True):
            cases.append(_Case(UNREACHABLE, svc, "gone", want))
            said[len(cases) - 1] = answer

    with ThreadPoolExecutor(max_workers=1) as beside:
        for state, members in timed:
            stand.arrange(state)
            run(members)
        stand.ntp.answering = False  # the NTP checks are done with it
        silent = beside.submit(_together, [(s, "") for s in clocks], stand)
        for state, members in untimed:
            stand.arrange(state)
            run(members)
        stand.unreachable()
        # unreachable: the stand-ins are gone and the CLI fails (nothing to reach
        # for a process check, "killed" covers it; nothing to stop for a local one)
        for cli in (False, True):
            members = [s for s in gone if s.name != NTP
                       and s.name.startswith("opsbundles-openstack") == cli]  # fmt: skip
            stand.cli.answer([], fail=cli)
            unreachable(members, _together([(s, "") for s in members], stand), 3 if cli else 2)
        unreachable(clocks, silent.result(), 2)
    results = [Result(ref, HEALTHY, s.cid, False, "command does not expand") for s in unexpanded]
    for i, case in enumerate(cases):
        code, out = said[i]
        if case.phase == HEALTHY:
            results.append(Result(ref, HEALTHY, f"{case.svc.cid} ({case.svc.name})", code == 0,
                                  f"exit {code}: {out}"))  # fmt: skip
            continue
        label = case.svc.name if case.phase == UNREACHABLE else case.what
        results.append(Result(ref, case.phase, f"{case.svc.cid} ({label})", code == case.want,
                              f"want exit {case.want}, got {code}: {out}"))  # fmt: skip
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
        return [Result(bundle.ref, HEALTHY, "render", False, str(exc))]
    finally:
        stand.stop()

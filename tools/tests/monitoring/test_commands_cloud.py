"""The nagios, icinga2 and sensu bundles' check commands on real daemons.

Each bundle is rendered for the test cloud (tests/monitoring/deployed.py)
and its checks are turned into the commands the tool would run, exactly as
the stand-in suite does (conformance/nagios_commands, icinga2_commands,
sensu_commands: nagios macros, icinga2's own object dump, sensu's command
and secrets). They then run against the real daemons: Galera MariaDB
(check_mysql and check_mysql_query as a least-privilege user), RabbitMQ's
management API (a user with the monitoring tag), its AMQP port, memcached,
HAProxy's CSV stats and an Apache page through HAProxy, the local disks, and
the mini cloud's real keystone, placement and glance APIs (our own debs,
tools/testcloud): their API checks, and the capacity checks through Debian's
python3-openstackclient (`openstack token issue`, `catalog show placement`)
and placement's own inventories and usages, with a resource provider whose
VCPU allocation ratio is 16.

Phases: healthy -> every check OK; one daemon stopped by PID -> exactly its
checks CRITICAL (the capacity checks UNKNOWN without keystone or placement),
every other still OK; started again -> all OK; a desynced Galera node, a
queue without consumer, and vCPU allocations over 80 % and 90 % of
placement's schedulable capacity -> their checks. Checks this suite
does not run for real (and why) are listed in ELSEWHERE; the stand-in suite
(`opsbundle test`) runs every check against stand-ins.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from opsbundle.conformance import icinga2_commands, nagios_commands, sensu_commands

from . import minicloud
from .deployed import HOST, render

pytestmark = pytest.mark.openstack  # the mini cloud's APIs (a chroot of our debs)

TOOLS = {"nagios": nagios_commands, "icinga2": icinga2_commands, "sensu": sensu_commands}
# Not run against the test cloud: the OpenStack CLI listings of nova, neutron
# and cinder (the mini cloud runs keystone, placement and glance only: the
# stand-in suite runs them on the canned CLI), process checks (the machine's
# process table is shared with other runs: the stand-in suite runs them in PID
# namespaces of their own), clock skew (no NTP server in it), and the API
# endpoints it does not serve.
ELSEWHERE = ("opsbundles-openstack-count", "opsbundles-nrpe", "opsbundles-procs",
             "opsbundles-ntp-time")  # fmt: skip
CAPACITY = ("nova-hypervisor-vcpu-usage", "nova-hypervisor-ram-usage")
VCPUS, RATIO, RAM_MB = 8, 16.0, 16384  # schedulable vCPUs: 8 x 16 = 128
WORKERS = 6  # checks at once
# The capacity checks start Debian's `openstack` twice each (~10 s apiece on a
# loaded machine): they run in the phases whose daemons are on their path
# (keystone with its memcached token cache, placement) and in the healthy and
# allocation phases; the other phases leave them out.
CLI_PATH = ("keystone", "placement", "memcached")
# daemon stopped by PID -> the checks that must go CRITICAL (all others stay OK)
STOPS = {
    "galera": {"mariadb-up", "mariadb-galera-cluster-size", "mariadb-galera-ready",
               "mariadb-galera-synced", "mariadb-galera-primary", "mariadb-galera-flow-control"},
    "rabbitmq": {"rabbitmq-up", "rabbitmq-memory-alarm", "rabbitmq-disk-alarm",
                 "rabbitmq-queue-backlog", "rabbitmq-partitions", "rabbitmq-queue-no-consumer"},
    "memcached": {"memcached-up"},
    "apache": {"haproxy-backends-down", "horizon-api-available", "horizon-api-response-time"},
    "keystone": {"keystone-api-available", "keystone-api-response-time"},
    "placement": {"placement-api-available", "placement-api-response-time"},
    "glance": {"glance-api-available", "glance-api-response-time"},
}  # fmt: skip
# ... and those that cannot tell without it: UNKNOWN (no token, no placement answer)
UNKNOWN_WITHOUT = {"keystone": set(CAPACITY), "placement": set(CAPACITY)}


class Checks:
    def __init__(self, cloud, services, placement):
        self.cloud, self.services = cloud, services  # {tool: [Service]}
        self.placement = placement

    def run(self, only=None, cli=True) -> dict[tuple[str, str], tuple[int, str]]:
        """(tool, check ID) -> (exit code, first line) of every check (or of
        the (tool, check ID) pairs in `only`; without the capacity checks
        unless `cli`), now: side by side, as a monitoring server runs them
        (most of the time is spent waiting)."""
        todo = [(tool, svc) for tool, services in self.services.items() for svc in services
                if (only is None or (tool, svc.cid) in only)
                and (cli or svc.cid not in CAPACITY)]  # fmt: skip
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            answers = list(pool.map(lambda job: _one(job[1]), todo))
        return {(tool, svc.cid): answer for (tool, svc), answer in zip(todo, answers, strict=True)}

    def ids(self) -> set[str]:
        return {svc.cid for services in self.services.values() for svc in services}


def _one(svc) -> tuple[int, str]:
    done = subprocess.run(svc.argv, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **svc.env}, check=False)  # fmt: skip
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, lines[0] if lines else ""


def settle(checks, want: dict[str, int], timeout: float = 90.0, cli: bool = True) -> list[str]:
    """Run the checks until the exit codes are `want`'s (HAProxy marks a
    backend down after three failed health checks, RabbitMQ refreshes its
    queue statistics every second); what still differs when time runs out.
    Only the checks still wrong run again, until they agree; then every
    other check once more, so that one that changed late is seen."""
    deadline = time.monotonic() + timeout
    results = checks.run(cli=cli)
    while True:
        wrong = _codes(results, want)
        if not wrong:  # every check once more (the capacity checks keep their last answer)
            results.update(checks.run(cli=False))
            wrong = _codes(results, want)
        if not wrong or time.monotonic() > deadline:
            return [line for _, line in wrong]
        results.update(checks.run({key for key, _ in wrong}))


def _codes(results, want: dict[str, int]) -> list[tuple[tuple[str, str], str]]:
    """What differs from `want` (check ID -> exit code; 0 for the others)."""
    return [((tool, cid), f"{tool} {cid}: want {want.get(cid, 0)}, got {code}: {line}")
            for (tool, cid), (code, line) in sorted(results.items())
            if code != want.get(cid, 0)]  # fmt: skip


@pytest.fixture(scope="module")
def checks(testcloud, tmp_path_factory):
    out = tmp_path_factory.mktemp("commands-cloud")
    testcloud.up(["openstack", "galera", "rabbitmq", "memcached", "haproxy"])
    values = {**minicloud.inventory(testcloud), "host_addresses": {HOST: "127.0.0.1"}}
    services = {}
    for tool, runner in TOOLS.items():
        work = out / tool
        deployed = render(f"monitoring/{tool}", work, values)
        found = runner.services(list(deployed.items()), work)
        services[tool] = [s for s in found if s.name not in ELSEWHERE]
        assert all(s.argv for s in services[tool]), f"{tool}: a command did not expand"
    placement = minicloud.Placement(testcloud, VCPUS, RATIO, RAM_MB)
    try:
        yield Checks(testcloud, services, placement)
    finally:
        placement.remove()


def test_every_check_is_ok_on_the_healthy_cloud(checks):
    assert {"mariadb-galera-primary", "rabbitmq-queue-no-consumer", "haproxy-backends-down",
            "memcached-up", "horizon-api-available", "disk-space", "keystone-api-available",
            "glance-api-response-time", *CAPACITY} <= checks.ids()  # fmt: skip
    assert not settle(checks, {})


@pytest.mark.parametrize("daemon", sorted(STOPS))
def test_a_stopped_daemon_makes_exactly_its_checks_critical(checks, daemon):
    want = {**dict.fromkeys(UNKNOWN_WITHOUT.get(daemon, ()), 3), **dict.fromkeys(STOPS[daemon], 2)}
    cli = daemon in CLI_PATH
    checks.cloud.stop(daemon)
    try:
        wrong = settle(checks, want, cli=cli)
    finally:
        checks.cloud.restart(daemon)
    assert not wrong
    assert not settle(checks, {}, cli=cli), f"not every check is OK again after {daemon} restarted"


def test_a_desynced_galera_node_is_critical_for_the_synced_check_only(checks):
    galera = checks.cloud.get("galera")
    galera.desync(True)
    try:
        wrong = settle(checks, {"mariadb-galera-synced": 2}, cli=False)
    finally:
        galera.desync(False)
    assert not wrong
    assert not settle(checks, {}, cli=False)


def test_a_queue_without_consumer_warns_a_notification_queue_does_not(checks):
    rabbit = checks.cloud.get("rabbitmq")
    vhost = urllib.parse.quote("/", safe="")
    body = {"properties": {}, "payload": "x", "payload_encoding": "string"}
    for queue in ("notifications.info", "opsbundles-orphan"):
        assert rabbit.api(f"/api/queues/{vhost}/{queue}", "PUT", {})[0] in (201, 204)
        status, _ = rabbit.api(f"/api/exchanges/{vhost}/amq.default/publish", "POST",
                               dict(body, routing_key=queue))  # fmt: skip
        assert status == 200
    try:
        wrong = settle(checks, {"rabbitmq-queue-no-consumer": 1}, cli=False)
    finally:
        for queue in ("opsbundles-orphan", "notifications.info"):
            rabbit.api(f"/api/queues/{vhost}/{queue}", "DELETE")
    assert not wrong
    assert not settle(checks, {}, cli=False)


def test_vcpu_allocation_is_a_share_of_what_placement_can_schedule(checks):
    """100, 110 and 120 vCPUs allocated on 8 physical ones at allocation ratio
    16: 78 %, 85 % and 93 % of the 128 schedulable (OK, WARNING, CRITICAL at
    80/90 %); a check that ignored the ratio would say 1250 % or more."""
    vcpu = {(tool, "nova-hypervisor-vcpu-usage") for tool in checks.services}
    try:
        for vcpus, code in ((100, 0), (110, 1), (120, 2)):
            checks.placement.allocate(vcpus)
            results = checks.run(vcpu)
            share = f"{100 * vcpus // int(VCPUS * RATIO)}% of the schedulable VCPU"
            assert all(c == code and share in line for c, line in results.values()), results
    finally:
        checks.placement.allocate(0)
    assert not settle(checks, {})

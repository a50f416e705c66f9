"""The nagios, icinga2 and sensu bundles' check commands on real daemons.

Each bundle is rendered for the test cloud (tests/monitoring/deployed.py)
and its checks are turned into the commands the tool would run, exactly as
the stand-in suite does (conformance/nagios_commands, icinga2_commands,
sensu_commands: nagios macros, icinga2's own object dump, sensu's command
and secrets). They then run against the real daemons: Galera MariaDB
(check_mysql and check_mysql_query as a least-privilege user), RabbitMQ's
management API (a user with the monitoring tag), its AMQP port, memcached,
HAProxy's CSV stats and an Apache page through HAProxy, and the local disks.

Phases: healthy -> every check OK; one daemon stopped by PID -> exactly its
checks CRITICAL, every other still OK; started again -> all OK; a desynced
Galera node and a queue without consumer -> their checks. Checks this suite
does not run for real (and why) are listed in ELSEWHERE; the stand-in suite
(`opsbundle test`) runs every check against stand-ins.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.parse

import pytest
from opsbundle.conformance import icinga2_commands, nagios_commands, sensu_commands
from testcloud.daemon import password

from .deployed import HOST, render

TOOLS = {"nagios": nagios_commands, "icinga2": icinga2_commands, "sensu": sensu_commands}
# Not run against the test cloud: the OpenStack CLI checks (no Keystone in it
# yet), process checks (the machine's process table is shared with other runs:
# the stand-in suite runs them in PID namespaces of their own), clock skew (no
# NTP server in it), and the API endpoints it does not serve.
ELSEWHERE = ("opsbundles-openstack-count", "opsbundles-openstack-usage", "opsbundles-nrpe",
             "opsbundles-procs", "opsbundles-ntp-time")  # fmt: skip
# daemon stopped by PID -> the checks that must go CRITICAL (all others stay OK)
STOPS = {
    "galera": {"mariadb-up", "mariadb-galera-cluster-size", "mariadb-galera-ready",
               "mariadb-galera-synced", "mariadb-galera-primary", "mariadb-galera-flow-control"},
    "rabbitmq": {"rabbitmq-up", "rabbitmq-memory-alarm", "rabbitmq-disk-alarm",
                 "rabbitmq-queue-backlog", "rabbitmq-partitions", "rabbitmq-queue-no-consumer"},
    "memcached": {"memcached-up"},
    "apache": {"haproxy-backends-down", "horizon-api-available", "horizon-api-response-time"},
}  # fmt: skip


class Checks:
    def __init__(self, cloud, services):
        self.cloud, self.services = cloud, services  # {tool: [Service]}

    def run(self) -> dict[tuple[str, str], tuple[int, str]]:
        """(tool, check ID) -> (exit code, first line) of every check, now."""
        out = {}
        for tool, services in self.services.items():
            for svc in services:
                done = subprocess.run(svc.argv, capture_output=True, text=True, timeout=120,
                                      env={**os.environ, **svc.env}, check=False)  # fmt: skip
                lines = (done.stdout + done.stderr).strip().splitlines()
                out[(tool, svc.cid)] = (done.returncode, lines[0] if lines else "")
        return out

    def ids(self) -> set[str]:
        return {svc.cid for services in self.services.values() for svc in services}


def settle(checks, want: dict[str, int], timeout: float = 90.0) -> list[str]:
    """Run every check until the exit codes are `want`'s (HAProxy marks a
    backend down after three failed health checks, RabbitMQ refreshes its
    queue statistics every second); what still differs when time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        wrong = _codes(checks.run(), want)
        if not wrong or time.monotonic() > deadline:
            return wrong


def _codes(results, want: dict[str, int]) -> list[str]:
    """What differs from `want` (check ID -> exit code; 0 for the others)."""
    return [f"{tool} {cid}: want {want.get(cid, 0)}, got {code}: {line}"
            for (tool, cid), (code, line) in sorted(results.items())
            if code != want.get(cid, 0)]  # fmt: skip


@pytest.fixture(scope="module")
def checks(testcloud, tmp_path_factory):
    out = tmp_path_factory.mktemp("commands-cloud")
    testcloud.up(["galera", "rabbitmq", "memcached", "haproxy"])
    galera, rabbit, memcached, haproxy = (
        testcloud.get(n) for n in ("galera", "rabbitmq", "memcached", "haproxy")
    )
    db_secret, mq_secret = password(), password()
    galera.monitor("monitoring", db_secret)
    assert rabbit.api("/api/users/monitoring", "PUT",
                      {"password": mq_secret, "tags": "monitoring"})[0] in (201, 204)  # fmt: skip
    assert rabbit.api("/api/permissions/%2F/monitoring", "PUT",
                      {"configure": "", "write": "", "read": ".*"})[0] in (201, 204)  # fmt: skip
    values = {
        "monitored_hosts": {"controller": [HOST]},
        "host_addresses": {HOST: "127.0.0.1"},
        "api_endpoints": {"horizon": haproxy.info["urls"]["apache_api"] + "/"},
        "service_ports": {
            "amqp": rabbit.ports["amqp"],
            "rabbitmq_management": rabbit.ports["management"],
            "mysql": galera.ports["sql"],
            "memcached": memcached.ports["memcached"],
            "haproxy_stats": haproxy.ports["stats"],
        },
        "haproxy_stats_path": "/stats",
        "rabbitmq_username": "monitoring",
        "rabbitmq_password": mq_secret,
        "mysql_username": "monitoring",
        "mysql_password": db_secret,
    }
    services = {}
    for tool, runner in TOOLS.items():
        work = out / tool
        deployed = render(f"monitoring/{tool}", work, values)
        found = runner.services(list(deployed.items()), work)
        services[tool] = [s for s in found if s.name not in ELSEWHERE]
        assert all(s.argv for s in services[tool]), f"{tool}: a command did not expand"
    return Checks(testcloud, services)


def test_every_check_is_ok_on_the_healthy_cloud(checks):
    assert {"mariadb-galera-primary", "rabbitmq-queue-no-consumer", "haproxy-backends-down",
            "memcached-up", "horizon-api-available", "disk-space"} <= checks.ids()  # fmt: skip
    assert not settle(checks, {})


@pytest.mark.parametrize("daemon", sorted(STOPS))
def test_a_stopped_daemon_makes_exactly_its_checks_critical(checks, daemon):
    checks.cloud.stop(daemon)
    try:
        wrong = settle(checks, dict.fromkeys(STOPS[daemon], 2))
    finally:
        checks.cloud.restart(daemon)
    assert not wrong
    assert not settle(checks, {}), f"not every check is OK again after {daemon} restarted"


def test_a_desynced_galera_node_is_critical_for_the_synced_check_only(checks):
    galera = checks.cloud.get("galera")
    galera.desync(True)
    try:
        wrong = settle(checks, {"mariadb-galera-synced": 2})
    finally:
        galera.desync(False)
    assert not wrong
    assert not settle(checks, {})


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
        wrong = settle(checks, {"rabbitmq-queue-no-consumer": 1})
    finally:
        for queue in ("opsbundles-orphan", "notifications.info"):
            rabbit.api(f"/api/queues/{vhost}/{queue}", "DELETE")
    assert not wrong
    assert not settle(checks, {})

"""The zabbix bundle run by a real Zabbix: the rendered template is imported
into Zabbix 6.0 (PostgreSQL and the frontend's API, as in `opsbundle
test`), and Debian's zabbix_server and zabbix_agent2 then execute its items
against the test cloud: agent 2's mysql.* on the Galera node, memcached.*,
proc.num and the file-system discovery; the server's HTTP agent items on
RabbitMQ's management API and HAProxy's CSV stats, its simple checks on
AMQP, the web scenarios on the mini cloud's real keystone, placement and
glance APIs (our own debs, tools/testcloud; glance answers 300) and on a
page through HAProxy, and the template's script item: a Keystone token from
the real keystone, the catalog, and placement's inventories and usages of a
resource provider whose VCPU allocation ratio is 16 (the compute, network
and block-storage APIs are not in the mini cloud: the script says so, and
their service checks open). Zabbix's own trigger engine decides the
problems.

Phases (file order): healthy (values as the daemons report them, no
problem but the process checks of daemons the test cloud does not run),
daemons stopped by PID (their problems open, tagged with their check_id)
and started again (closed), a desynced Galera node, a queue nobody
consumes, vCPUs allocated over 90 % of what placement can schedule. Delays
are the bundle's own check_delays; every item runs every CHECK_INTERVAL
seconds (check_interval_seconds).
"""

from __future__ import annotations

import csv
import io
import urllib.parse

import pytest
from opsbundle import catalog
from opsbundle.conformance import zabbix_import
from servicechecks_repo import REAL_ROOT, context
from testcloud import probes
from testcloud.daemon import wait_until
from testcloud.zabbix import ZabbixAgent2, ZabbixServer

from . import minicloud
from .deployed import HOST, render

pytestmark = pytest.mark.openstack  # the mini cloud's APIs (a chroot of our debs)

ZBX = "monitoring/zabbix"
CHECK_INTERVAL = 5
CHECK_DELAY = 10
TIMEOUT = 180.0
TEMPLATES = ("controller", "host", "cloud")
# the mini cloud serves no compute, network or block-storage API: the script
# item reports {"api": 0} for them, and their service-state checks open
NOT_IN_THE_MINI_CLOUD = {"nova-services-up", "neutron-agents-up", "cinder-services-up"}
VCPUS, RATIO, RAM_MB = 8, 16.0, 16384  # schedulable vCPUs: 8 x 16 = 128


def checks():
    return catalog.checks(context(REAL_ROOT).registry)


class Run:
    def __init__(self, cloud, zabbix, hostid, stats_url, placement):
        self.cloud, self.zabbix, self.hostid, self.stats_url = cloud, zabbix, hostid, stats_url
        self.placement = placement

    def call(self, method, params):
        answer = self.zabbix.call(method, params)
        assert "result" in answer, answer
        return answer["result"]

    def items(self) -> dict[str, dict]:
        found = self.call(
            "item.get",
            {"hostids": [self.hostid], "webitems": True,
             "output": ["itemid", "key_", "lastvalue", "lastclock", "state", "error"]},
        )  # fmt: skip
        return {i["key_"]: i for i in found}

    def value(self, key: str) -> str | None:
        item = self.items().get(key)
        return item["lastvalue"] if item and item["lastclock"] != "0" else None

    def ran_since(self, stamp: int) -> bool:
        """Every item that has a value has a newer one than `stamp`."""
        clocks = [int(i["lastclock"]) for i in self.items().values() if i["lastclock"] != "0"]
        return bool(clocks) and min(clocks) > stamp

    def problems(self) -> set[str]:
        """check_id of every open problem of the host."""
        found = self.call(
            "problem.get", {"hostids": [self.hostid], "output": ["name"], "selectTags": "extend"}
        )
        return {t["value"] for p in found for t in p["tags"] if t["tag"] == "check_id"}

    def wait(self, check, what: str, timeout: float = TIMEOUT) -> None:
        try:
            wait_until(check, what, timeout, interval=1.0)
        except Exception as err:
            raise AssertionError(f"{err}; open problems: {sorted(self.problems())}") from None


@pytest.fixture(scope="module")
def run(testcloud, tmp_path_factory):
    why = zabbix_import.available()
    assert why is None, why
    out = tmp_path_factory.mktemp("zabbix-cloud")
    names = ("galera", "rabbitmq", "memcached", "haproxy")
    testcloud.up(["openstack", *names])
    haproxy = testcloud.get("haproxy")
    values = {
        **minicloud.inventory(testcloud),
        "check_interval_seconds": CHECK_INTERVAL,
        "check_delays": {cid: CHECK_DELAY for cid in checks()},
    }
    (template,) = [p for d, p in render(ZBX, out, values).items() if d.endswith(".yaml")]
    zabbix = zabbix_import.Zabbix()
    started = []
    placement = minicloud.Placement(testcloud, VCPUS, RATIO, RAM_MB)
    try:
        zabbix.start()
        ok, detail = zabbix.import_yaml(template.read_text(encoding="utf-8"))
        assert ok, detail
        agent = ZabbixAgent2(out / "agent", hostname=HOST)
        server = ZabbixServer(out / "server", db_port=zabbix.pg_port)
        for daemon in (agent, server):
            started.append(daemon.start())
        by_name = {
            t["host"]: t["templateid"]
            for t in zabbix.call("template.get", {"output": ["host"]})["result"]
        }
        servers = {"output": ["groupid"], "filter": {"name": ["Linux servers"]}}
        group = zabbix.call("hostgroup.get", servers)["result"][0]["groupid"]
        interface = {"type": 1, "main": 1, "useip": 1, "ip": "127.0.0.1", "dns": "",
                     "port": str(agent.ports["agent"])}  # fmt: skip
        linked = [{"templateid": by_name[f"OpenStack {t} by opsbundles"]} for t in TEMPLATES]
        made = zabbix.call("host.create", {
            "host": HOST, "groups": [{"groupid": group}], "interfaces": [interface],
            "templates": linked,
        })  # fmt: skip
        assert "result" in made, made
        yield Run(testcloud, zabbix, made["result"]["hostids"][0], haproxy.info["stats_url"],
                  placement)  # fmt: skip
    finally:
        for daemon in reversed(started):
            daemon.stop()
        zabbix.stop()
        placement.remove()


def processes() -> set[str]:
    """Open on this cloud: the process checks of daemons it does not run, and
    the state checks of the APIs the mini cloud does not serve."""
    return {cid for cid, c in checks().items() if c.get("kind") == "process"} | (
        NOT_IN_THE_MINI_CLOUD
    )


HEALTHY = {
    "agent.ping": "1",
    "opsbundles.galera.cluster_size": "1",
    "opsbundles.galera.ready": "1",
    "opsbundles.galera.synced": "1",
    "opsbundles.galera.primary": "1",
    "opsbundles.haproxy.backends_down": "0",
    "opsbundles.rabbitmq.running": "1",
    "opsbundles.rabbitmq.partitioned": "0",
    "opsbundles.rabbitmq.alarms[mem_alarm]": "0",
    "opsbundles.rabbitmq.alarms[disk_free_alarm]": "0",
    "opsbundles.rabbitmq.no_consumer": "0",
    "opsbundles.rabbitmq.backlog": "0",
    "web.test.rspcode[OpenStack horizon API,version document]": "200",
    "web.test.rspcode[OpenStack keystone API,version document]": "200",
    "web.test.rspcode[OpenStack placement API,version document]": "200",
    "web.test.rspcode[OpenStack glance API,version document]": "300",
    # the script item, against the real keystone and placement
    "opsbundles.openstack.api[nova]": "0",
    "opsbundles.placement.allocated[VCPU]": "0",
    "opsbundles.placement.allocated[MEMORY_MB]": "0",
}


def test_healthy_cloud_gives_real_values_and_no_problem(run):
    run.wait(lambda: all(run.value(k) == v for k, v in HEALTHY.items()), "healthy item values")
    items = run.items()
    ping = [i for k, i in items.items() if k.startswith(("mysql.ping[", "memcached.ping["))]
    assert len(ping) == 2 and all(i["lastvalue"] == "1" for i in ping), ping
    assert [i for k, i in items.items() if k.startswith("net.tcp.service[")][0]["lastvalue"] == "1"
    # the file systems: discovered now rather than at the rule's hourly run
    rules = run.call("discoveryrule.get", {"hostids": [run.hostid], "output": ["itemid"]})
    run.call("task.create", [{"type": 6, "request": {"itemid": r["itemid"]}} for r in rules])
    run.wait(lambda: run.value("vfs.fs.size[/,pfree]") is not None, "free space on /")
    assert 0 < float(run.value("vfs.fs.size[/,pfree]")) <= 100
    # once every item has run again since the values settled, nothing but
    # the checks of absent daemons may be open
    since = max(int(i["lastclock"]) for i in run.items().values())
    run.wait(lambda: run.ran_since(since), "every item ran once more")
    assert run.problems() <= processes(), run.problems()


def _backends_down(stats_url: str) -> int:
    """HAProxy's own count: BACKEND rows of its CSV stats whose status is DOWN."""
    status, body = probes.http_request(stats_url + ";csv")
    assert status == 200
    rows = csv.DictReader(io.StringIO(body.decode().lstrip("# ")))
    return sum(1 for r in rows if r["svname"] == "BACKEND" and r["status"] == "DOWN")


STOPS = [
    ("galera", {"mariadb-up"}),
    ("rabbitmq", {"rabbitmq-up"}),
    ("memcached", {"memcached-up"}),
    ("apache", {"haproxy-backends-down", "horizon-api-available"}),
    ("keystone", {"keystone-api-available"}),
    ("glance", {"glance-api-available"}),
]


@pytest.mark.parametrize("daemon,ids", STOPS, ids=[s[0] for s in STOPS])
def test_stopped_daemon_opens_its_problem_and_restart_closes_it(run, daemon, ids):
    run.cloud.stop(daemon)
    try:
        run.wait(lambda: ids <= run.problems(), f"{sorted(ids)} open after {daemon} stopped")
        assert run.problems() <= processes() | ids, run.problems()
        if daemon == "apache":
            # every backend HAProxy itself reports down is counted (the old
            # regex kept only the CSV header and always said 0)
            want = _backends_down(run.stats_url)
            assert want >= 1
            run.wait(lambda: run.value("opsbundles.haproxy.backends_down") == str(want),
                     f"{want} backends down")  # fmt: skip
    finally:
        run.cloud.restart(daemon)
    run.wait(lambda: not (ids & run.problems()), f"{sorted(ids)} closed after restart")


def test_desynced_galera_node_opens_the_synced_problem(run):
    galera = run.cloud.get("galera")
    galera.desync(True)
    try:
        run.wait(lambda: "mariadb-galera-synced" in run.problems(), "synced problem")
        assert run.value("opsbundles.galera.primary") == "1"
    finally:
        galera.desync(False)
    run.wait(lambda: "mariadb-galera-synced" not in run.problems(), "synced problem closed")


def test_queue_without_consumer_opens_a_problem_notification_queues_do_not(run):
    rabbit = run.cloud.get("rabbitmq")
    vhost = urllib.parse.quote("/", safe="")
    for queue in ("notifications.info", "opsbundles-orphan"):
        assert rabbit.api(f"/api/queues/{vhost}/{queue}", "PUT", {})[0] in (201, 204)
        body = {
            "properties": {},
            "routing_key": queue,
            "payload": "x",
            "payload_encoding": "string",
        }
        assert rabbit.api(f"/api/exchanges/{vhost}/amq.default/publish", "POST", body)[0] == 200
    try:
        run.wait(lambda: run.value("opsbundles.rabbitmq.no_consumer") == "1", "one orphan queue")
        run.wait(lambda: "rabbitmq-queue-no-consumer" in run.problems(), "no-consumer problem")
    finally:
        for queue in ("opsbundles-orphan", "notifications.info"):
            rabbit.api(f"/api/queues/{vhost}/{queue}", "DELETE")
    run.wait(lambda: "rabbitmq-queue-no-consumer" not in run.problems(), "problem closed")


def test_vcpu_allocation_is_a_share_of_what_placement_can_schedule(run):
    """120 vCPUs on 8 physical ones at allocation ratio 16: 93.75 % of the 128
    placement can schedule (the script reads its inventories and usages), so
    the critical problem opens; a check ignoring the ratio would say 1500 %."""
    key = "opsbundles.placement.allocated[VCPU]"
    run.placement.allocate(120)
    try:
        run.wait(lambda: run.value(key) == "93.75", "93.75 % of the VCPUs allocated")
        run.wait(lambda: "nova-hypervisor-vcpu-usage" in run.problems(), "the capacity problem")
    finally:
        run.placement.allocate(0)
    run.wait(lambda: run.value(key) == "0", "no VCPU allocated")
    run.wait(lambda: "nova-hypervisor-vcpu-usage" not in run.problems(), "problem closed")

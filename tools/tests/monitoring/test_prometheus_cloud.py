"""The prometheus bundle on real daemons: Debian's Prometheus and
Alertmanager run the rendered rules, scrape config, blackbox modules, route
and mysqld_exporter login against the test cloud's real Galera MariaDB,
RabbitMQ (its prometheus plugin), memcached, HAProxy (its built-in
exporter) and node_exporter, the blackbox exporter probes the mini cloud's
real keystone, placement and glance APIs (our own debs, tools/testcloud),
and Alertmanager posts to a webhook receiver.

The configurations are Debian's own defaults with the bundle's edits merged
in by the deploy collection's edit code, as a deployment leaves them.

One Prometheus run, in phases (the tests below run in file order):
    healthy         every target up; no alert fires except the process
                    checks, whose daemons (nova-scheduler, ...) do not run
                    here, so the rules' "unit not seen" branch must fire
    names           every metric the rules read from these exporters is one
                    the real exporters expose
    stop/restart    a daemon stopped by PID: its alert fires in
                    /api/v1/alerts and reaches the webhook through
                    Alertmanager with check_id, severity and hostname; started
                    again, the alert resolves and the webhook is told so
    Galera, queues  a desynced node, a queue with messages and no consumer
Delays are shortened through the bundle's own check_delays and
scrape_interval_seconds (every rule's `for:` is CHECK_DELAY), never by
editing a rule.
"""

from __future__ import annotations

import datetime
import re
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml
from opsbundle import catalog
from servicechecks_repo import REAL_ROOT, context
from testcloud import binaries
from testcloud.daemon import free_port, wait_until
from testcloud.exporters import BlackboxExporter, MysqldExporter
from testcloud.prometheus import Alertmanager, Prometheus

from . import minicloud
from .deployed import HOST, render

pytestmark = pytest.mark.openstack  # the mini cloud's APIs (a chroot of our debs)
PROM = "monitoring/prometheus"
# seconds every rule waits (check_delays), so `for:` is exercised: two
# evaluations, so one probe slowed by a loaded machine does not page
CHECK_DELAY = 6
INTERVAL = 3  # scrape and rule evaluation interval (scrape_interval_seconds), probe timeout
FIRE_TIMEOUT = 120.0  # a loaded machine: generous, the polls return as soon as it holds
RULES = "/etc/prometheus/rules/opsbundles-openstack.rules.yml"
PROMETHEUS = "/etc/prometheus/prometheus.yml"
ALERTMANAGER = "/etc/prometheus/alertmanager.yml"
BLACKBOX = "/etc/prometheus/blackbox.yml"
# Metric families the rules read that the test cloud cannot show here:
# openstack-exporter (not packaged by Debian), node_exporter's systemd
# collector (no systemd; the process rules' absent branch covers it), Erlang
# distribution peers (a one-node broker has none), TLS certificates (no https
# endpoint). Per-queue series exist only while queues do: the queue test
# below reads them.
ELSEWHERE = re.compile(
    r"^(openstack_|node_systemd_|erlang_vm_dist_|probe_ssl_|rabbitmq_detailed_queue_)"
)


def site_configs(out: Path) -> dict[str, Path]:
    """The main configurations the bundle's edits merge into, as a site has
    them: Debian's defaults (prometheus.yml from the unpacked package, the
    installed Alertmanager's and blackbox exporter's), the site having set its
    global intervals and no Alertmanager of its own yet (Debian's points at
    localhost:9093, which on a shared machine may be anyone's)."""
    # the deb tools/setup.sh unpacked: <root>/usr/bin/promtool, <root>/etc/prometheus
    debian = Path(binaries.find("promtool")).resolve().parents[2] / "etc/prometheus"
    site = yaml.safe_load((debian / "prometheus.yml").read_text(encoding="utf-8"))
    site["global"].update(scrape_interval=f"{INTERVAL}s", evaluation_interval=f"{INTERVAL}s")
    site.pop("alerting", None)
    path = out / "site-prometheus.yml"
    path.write_text(yaml.safe_dump(site), encoding="utf-8")
    return {PROMETHEUS: path, ALERTMANAGER: Path(ALERTMANAGER), BLACKBOX: Path(BLACKBOX)}


def checks():
    return catalog.checks(context(REAL_ROOT).registry)


def controller_processes() -> set[str]:
    """The process checks the rules emit for a controller (defaults: OVS, 2025.2)."""
    values = {"network_backend": "ovs", "openstack_release": "2025.2"}
    return {
        cid
        for cid, c in checks().items()
        if c.get("kind") == "process"
        and c.get("role") == "controller"
        and catalog.applies(c, values)
    }


class Stack:
    def __init__(self, cloud, prometheus, alertmanager, webhook, rules_text):
        self.cloud, self.prometheus, self.alertmanager = cloud, prometheus, alertmanager
        self.webhook, self.rules_text = webhook, rules_text

    def evaluated_since(self, stamp: float) -> bool:
        """Every rule group was evaluated after `stamp` (seconds since the epoch)."""
        groups = self.prometheus.api("/api/v1/rules")["data"]["groups"]
        return bool(groups) and all(_epoch(g["lastEvaluation"]) > stamp for g in groups)

    def firing(self) -> list[dict]:
        return [a for a in self.prometheus.alerts() if a["state"] == "firing"]

    def firing_ids(self) -> set[str]:
        return {a["labels"].get("check_id") for a in self.firing()}

    def posted(self) -> list[dict]:
        """Every alert the webhook was sent, with the notification's status."""
        out = []
        for request in self.webhook.received():
            body = request["body"]
            for alert in body.get("alerts") or []:
                out.append(alert)
        return out

    def wait(self, check, what: str, timeout: float = FIRE_TIMEOUT) -> None:
        try:
            wait_until(check, what, timeout, interval=0.5)
        except Exception as err:  # say what Prometheus saw at the end
            firing = sorted(f"{a['labels'].get('check_id')}@{a['labels'].get('hostname')}"
                            for a in self.firing())  # fmt: skip
            raise AssertionError(f"{err}; firing now: {firing}") from None


@pytest.fixture(scope="module")
def stack(testcloud, tmp_path_factory):
    out = tmp_path_factory.mktemp("prometheus-cloud")
    names = ("galera", "rabbitmq", "memcached", "haproxy", "node-exporter", "webhook")
    testcloud.up(["openstack", *names])
    d = {n: testcloud.get(n) for n in names}
    rabbit, haproxy = d["rabbitmq"], d["haproxy"]
    # api_endpoints: keystone, placement, glance, the mini cloud's (module
    # os_endpoint: glance answers 300); horizon, a page that answers 2xx
    # (module opsbundles_http_2xx) through HAProxy to Apache
    values = {
        **minicloud.inventory(testcloud, logins=False),
        "host_addresses": {HOST: "127.0.0.1"},
        "exporter_ports": {
            "node": d["node-exporter"].ports["web"],
            "mysqld": 9104,  # until the exporter has its port (second render)
            "rabbitmq": rabbit.ports["prometheus"],
            "haproxy": haproxy.ports["stats"],
        },
        "check_delays": {cid: CHECK_DELAY for cid in checks()},
        "scrape_interval_seconds": INTERVAL,
        "probe_timeout_seconds": INTERVAL,
        "openstack_exporter_address": f"127.0.0.1:{free_port()}",  # not run here
        "alert_timings": {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
        "alert_webhook_url": d["webhook"].info["url"] + "/alerts",
        "alert_email_to": "cloud-ops@example.org",
        "alert_smarthost": f"127.0.0.1:{free_port()}",  # warnings go by mail: nobody listens
    }
    bases = site_configs(out)
    first = render(PROM, out / "first", values, bases)
    started = []
    try:
        blackbox = BlackboxExporter(out / "blackbox", config=str(first[BLACKBOX]))
        mysqld = MysqldExporter(
            out / "mysqld", my_cnf=str(first["/etc/prometheus/mysqld_exporter.cnf"])
        )
        alertmanager = Alertmanager(out / "am", config=str(first[ALERTMANAGER]))
        for daemon in (blackbox, mysqld, alertmanager):
            started.append(daemon.start())
        root = out / "second" / "root"
        values.update(
            exporter_ports=dict(values["exporter_ports"], mysqld=mysqld.ports["web"]),
            blackbox_address=blackbox.info["address"],
            alertmanager_addresses=[f"127.0.0.1:{alertmanager.ports['web']}"],
            prometheus_config_dir=str(root / "etc/prometheus"),
        )
        second = render(PROM, out / "second", values, bases)
        prometheus = Prometheus(out / "prometheus", config=str(second[PROMETHEUS]))
        started.append(prometheus.start())
        yield Stack(testcloud, prometheus, alertmanager, d["webhook"], second[RULES].read_text())
    finally:
        for daemon in reversed(started):
            daemon.stop()


def test_healthy_cloud_fires_only_the_absent_process_checks(stack):
    prometheus = stack.prometheus

    def ours():  # the site's own jobs (Debian's defaults) are not ours to judge
        return [t for t in prometheus.targets() if t["labels"]["job"].startswith("opsbundles-")
                and t["labels"]["job"] != "opsbundles-openstack"]  # fmt: skip

    def all_up():
        return len(ours()) >= 7 and all(t["health"] == "up" for t in ours())

    stack.wait(all_up, "every scrape target of the bundle's jobs up")
    expected = controller_processes()
    stack.wait(lambda: expected <= stack.firing_ids(), "the process checks' absent-unit branch")
    later = time.time() + 2 * INTERVAL  # two more evaluations: nothing else may join them
    stack.wait(lambda: stack.evaluated_since(later), "two more rule evaluations")
    firing = stack.firing()
    assert {a["labels"]["check_id"] for a in firing} == expected, firing
    assert all(a["labels"].get("hostname") == HOST for a in firing), firing
    assert not [a for a in prometheus.alerts() if a["labels"]["check_id"] not in expected], (
        "pending alerts on a healthy cloud"
    )


def test_every_metric_the_rules_read_is_one_the_real_exporters_expose(stack):
    exposed = set(stack.prometheus.api("/api/v1/label/__name__/values")["data"])
    read = set(re.findall(r"\b([a-z_][a-z0-9_]*)\{", stack.rules_text)) - {"by", "on"}
    missing = sorted(m for m in read if m not in exposed and not ELSEWHERE.match(m))
    assert not missing, f"the rules read series no real exporter exposes: {missing}"
    # and the rules' selectors match real series with the labels they group by
    host = f'hostname="{HOST}"'
    for expr in (
        "node_filesystem_avail_bytes{" + host + "}",
        "mysql_global_status_wsrep_cluster_status{" + host + "}",
        'haproxy_backend_active_servers{proxy="apache_api",' + host + "}",
        'probe_success{service="horizon"}',
        'probe_success{service="keystone"} == 1',
        'probe_success{service="placement"} == 1',
        'probe_success{service="glance"} == 1',
        'probe_http_status_code{service="glance"} == 300',
    ):
        assert stack.prometheus.query(expr), f"no series for {expr}"


# daemon stopped by PID -> the checks that must fire (with hostname unless an API probe)
STOPS = [
    ("galera", {"mariadb-up"}),
    ("rabbitmq", {"rabbitmq-up"}),
    ("memcached", {"memcached-up"}),
    ("apache", {"haproxy-backends-down", "horizon-api-available"}),
    # the mini cloud's APIs, probed by the blackbox exporter
    ("keystone", {"keystone-api-available"}),
    ("placement", {"placement-api-available"}),
    ("glance", {"glance-api-available"}),
]


@pytest.mark.parametrize("daemon,ids", STOPS, ids=[s[0] for s in STOPS])
def test_stopped_daemon_alerts_through_alertmanager_and_resolves(stack, daemon, ids):
    baseline = controller_processes()
    before = len(stack.webhook.received())
    stack.cloud.stop(daemon)
    try:
        stack.wait(
            lambda: ids <= stack.firing_ids(), f"{sorted(ids)} firing after {daemon} stopped"
        )
        for alert in stack.firing():
            if alert["labels"]["check_id"] in ids:
                labels = alert["labels"]
                assert labels["severity"] == "critical", labels
                if not labels["check_id"].endswith("-api-available"):
                    assert labels.get("hostname") == HOST, labels
        assert stack.firing_ids() <= baseline | ids, "other checks fired too"

        def paged():
            new = [a for a in _since(stack, before) if a["status"] == "firing"]
            return ids <= {a["labels"].get("check_id") for a in new}

        stack.wait(paged, f"the webhook paged for {sorted(ids)}")
        for alert in _since(stack, before):
            if alert["labels"].get("check_id") in ids:
                assert alert["labels"]["alertname"] and alert["labels"]["severity"] == "critical"
                if not alert["labels"]["check_id"].endswith("-api-available"):
                    assert alert["labels"]["hostname"] == HOST, alert
    finally:
        stack.cloud.restart(daemon)
    stack.wait(lambda: not (ids & stack.firing_ids()), f"{sorted(ids)} resolved after restart")

    def told_resolved():
        done = [a for a in _since(stack, before) if a["status"] == "resolved"]
        return ids <= {a["labels"].get("check_id") for a in done}

    stack.wait(told_resolved, f"the webhook told {sorted(ids)} resolved")


def _epoch(stamp: str) -> float:
    """Prometheus's RFC 3339 time (nanoseconds, Z) as seconds since the epoch."""
    day, _, rest = stamp.rstrip("Z").partition("T")
    clock, _, fraction = rest.partition(".")
    whole = datetime.datetime.fromisoformat(f"{day}T{clock}+00:00").timestamp()
    return whole + float("0." + (fraction or "0"))


def _since(stack, before: int) -> list[dict]:
    return [a for r in stack.webhook.received()[before:] for a in r["body"].get("alerts") or []]


def test_desynced_galera_node_alerts_and_resolves(stack):
    galera = stack.cloud.get("galera")
    galera.desync(True)
    try:
        stack.wait(lambda: galera.status("wsrep_local_state") != "4", "the node leaves Synced")
        stack.wait(lambda: "mariadb-galera-synced" in stack.firing_ids(), "synced check fires")
        assert "mariadb-galera-primary" not in stack.firing_ids()  # the cluster stays Primary
    finally:
        galera.desync(False)
    stack.wait(lambda: "mariadb-galera-synced" not in stack.firing_ids(), "synced check resolves")


def test_queue_without_consumer_alerts_but_notification_queues_do_not(stack):
    rabbit = stack.cloud.get("rabbitmq")
    vhost = urllib.parse.quote("/", safe="")

    def publish(queue: str) -> None:
        assert rabbit.api(f"/api/queues/{vhost}/{queue}", "PUT", {"durable": False})[0] in (
            201,
            204,
        )
        body = {
            "properties": {},
            "routing_key": queue,
            "payload": "x",
            "payload_encoding": "string",
        }
        status, answer = rabbit.api(f"/api/exchanges/{vhost}/amq.default/publish", "POST", body)
        assert status == 200 and b'"routed":true' in answer, answer

    publish("notifications.info")  # rabbitmq_ignored_queues: nobody reads these without telemetry
    publish("opsbundles-orphan")
    try:

        def orphan_alert():
            return [a for a in stack.firing()
                    if a["labels"]["check_id"] == "rabbitmq-queue-no-consumer"]  # fmt: skip

        stack.wait(lambda: orphan_alert(), "no-consumer check fires")
        for family in (
            "messages_ready",
            "consumers",
        ):
            series = stack.prometheus.query(
                f'rabbitmq_detailed_queue_{family}{{queue="opsbundles-orphan"}}'
            )
            assert series and series[0]["metric"]["vhost"] == "/", family
        assert {a["labels"]["queue"] for a in orphan_alert()} == {"opsbundles-orphan"}
        assert all(a["labels"]["hostname"] == HOST for a in orphan_alert())
    finally:
        for queue in ("opsbundles-orphan", "notifications.info"):
            rabbit.api(f"/api/queues/{vhost}/{urllib.parse.quote(queue, safe='')}", "DELETE")
    stack.wait(lambda: "rabbitmq-queue-no-consumer" not in stack.firing_ids(), "it resolves")

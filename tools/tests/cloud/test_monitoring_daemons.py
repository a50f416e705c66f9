"""The test cloud's monitoring daemons answer as the real programs do: the
Galera node reports a one-node Primary cluster, node_exporter its file
systems, the webhook gives back what was posted, Zabbix agent 2 answers the
server's protocol; a restart keeps a daemon's ports."""

from __future__ import annotations

import json

import pytest
from testcloud import probes
from testcloud.daemon import DaemonError
from testcloud.exporters import BlackboxExporter
from testcloud.zabbix import LOW_PORTS, ZabbixAgent2


def test_galera_node_is_a_synced_primary_cluster_of_one(testcloud):
    galera = testcloud.get("galera")
    assert galera.status("wsrep_cluster_size") == "1"
    assert galera.status("wsrep_cluster_status") == "Primary"
    assert galera.status("wsrep_local_state") == "4"
    assert galera.status("wsrep_ready") == "ON"


def test_monitor_account_has_what_an_exporter_needs_and_no_more(testcloud):
    galera = testcloud.get("galera")
    galera.monitor("probe_monitor", "probe-secret")
    grants = galera.sql("SHOW GRANTS FOR 'probe_monitor'@'127.0.0.1'")
    assert "PROCESS" in grants and "SLAVE MONITOR" in grants and "SELECT" in grants
    assert "ALL PRIVILEGES" not in grants and "INSERT" not in grants


def test_node_exporter_reports_the_hosts_file_systems(testcloud):
    node = testcloud.get("node-exporter")
    text = node.metrics()
    assert 'node_filesystem_avail_bytes{device="' in text
    assert "\nnode_timex_offset_seconds " in text


def test_webhook_gives_back_each_post(testcloud):
    hook = testcloud.get("webhook")
    before = len(hook.received())
    body = json.dumps({"status": "firing", "alerts": [{"labels": {"check_id": "x"}}]}).encode()
    status, _ = probes.http_request(hook.info["url"] + "/alerts", method="POST", data=body,
                                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert status == 200
    got = hook.received()[before:]
    assert got == [{"path": "/alerts", "body": json.loads(body)}]


def test_restart_keeps_the_ports_and_gets_new_pids(testcloud):
    memcached = testcloud.get("memcached")
    port, pids = memcached.ports["memcached"], [p.pid for p in memcached.procs]
    testcloud.stop("memcached")
    with pytest.raises(OSError):
        probes.tcp_accepts("127.0.0.1", port)
    again = testcloud.restart("memcached")
    assert again.ports["memcached"] == port
    assert [p.pid for p in again.procs] != pids
    assert b"STAT pid" in again.stats()


def test_zabbix_agent2_answers_passive_checks_on_a_port_zabbix_accepts(tmp_path):
    with ZabbixAgent2(tmp_path / "agent", hostname="probe.test") as agent:
        assert LOW_PORTS[0] <= agent.ports["agent"] <= LOW_PORTS[1]
        assert agent.get("agent.ping") == "1"
        assert agent.get("agent.hostname") == "probe.test"
        assert agent.get("no.such.key").startswith("ZBX_NOTSUPPORTED")


def test_exporter_without_its_config_refuses_to_start(tmp_path):
    with pytest.raises(DaemonError, match="option config is required"):
        BlackboxExporter(tmp_path / "bb").start()

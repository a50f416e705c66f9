import json

from opsbundle.cli import main
from servicechecks_repo import REAL_ROOT, copy_repo, edit

NAG = "monitoring/nagios"
TEMPLATE = "files/opsbundles-openstack.cfg.j2"


def test_real_matrix_explains_every_gap(capsys):
    assert main(["coverage", "--root", str(REAL_ROOT)]) == 0
    out = capsys.readouterr().out
    for tool in ("prometheus", "nagios", "icinga2", "sensu"):
        assert f"monitoring/{tool}: 67/67 catalog checks implemented" in out
    assert "monitoring/zabbix: 66/67 catalog checks implemented" in out
    assert "clock-skew in monitoring/zabbix: gap: Zabbix agent 6.0 (1 and 2) has no item" in out


def test_check_emitted_in_the_wrong_variant_fails(tmp_path, capsys):
    root = copy_repo(tmp_path, NAG)
    edit(
        root / NAG / TEMPLATE,
        "{% for id, c in catalog.items() if c.kind == 'process' and applies(c) == 'yes' %}",
        "{% for id, c in catalog.items() if c.kind == 'process' %}",
    )
    assert main(["coverage", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    wrong = "in monitoring/nagios: MISAPPLIED: emitted with network_backend="
    assert f"neutron-server-running {wrong}ovn" in out
    assert f"ovn-controller-running {wrong}ovs" in out


def test_json_has_one_cell_per_check_and_implementation(capsys):
    assert main(["coverage", "--root", str(REAL_ROOT), "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["monitoring/prometheus"]["memcached-up"] == {"cell": "yes", "reason": ""}
    assert table["monitoring/nagios"]["rabbitmq-queue-backlog"] == {"cell": "yes", "reason": ""}
    assert table["monitoring/zabbix"]["mariadb-up"] == {"cell": "yes", "reason": ""}
    assert table["monitoring/zabbix"]["clock-skew"]["cell"] == "gap"


def test_check_dropped_without_reason_fails(tmp_path, capsys):
    root = copy_repo(tmp_path, NAG)
    edit(
        root / NAG / TEMPLATE,
        ",\n    'memcached-up': 'opsbundles-memcached!' ~ service_ports.memcached}",
        "}",
    )
    assert main(["coverage", "--root", str(root)]) == 1
    assert "memcached-up in monitoring/nagios: MISSING: no reason given" in capsys.readouterr().out


def test_gap_that_is_emitted_anyway_fails(tmp_path, capsys):
    root = copy_repo(tmp_path, NAG)
    edit(
        root / NAG / "manifest.yaml",
        "    not_implemented: {}\n",
        "    not_implemented:\n      memcached-up: Said not to be implemented, but emitted.\n",
    )
    assert main(["coverage", "--root", str(root)]) == 1
    assert "memcached-up in monitoring/nagios: UNLISTED" in capsys.readouterr().out


def test_zabbix_item_without_a_trigger_is_not_a_check(tmp_path, capsys):
    """An item tagged with a check ID alerts nobody without a trigger: the
    matrix counts triggers (and trigger prototypes), not items."""
    root = copy_repo(tmp_path, "monitoring/zabbix")
    edit(
        root / "monitoring/zabbix/files/opsbundles-openstack.yaml.j2",
        "{{ trigger(ti, mid, 1, 'memcached does not answer', "
        "bad(tname, mkey, 'max', '=', 0, mid), sev(mid)) }}",
        "",
    )
    assert main(["coverage", "--root", str(root)]) == 1
    assert "memcached-up in monitoring/zabbix: MISSING" in capsys.readouterr().out

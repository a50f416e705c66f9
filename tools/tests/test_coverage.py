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
    assert "monitoring/zabbix: 45/67 catalog checks implemented" in out
    assert "mariadb-up in monitoring/zabbix: gap: Zabbix agent 1 has no MySQL items" in out


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
    assert table["monitoring/zabbix"]["mariadb-up"]["cell"] == "gap"


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

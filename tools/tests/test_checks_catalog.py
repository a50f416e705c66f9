from opsbundle.validate import Options, run
from servicechecks_repo import copy_repo, edit


def _codes(root, ref):
    report = run(root, Options(names=[ref], cache=False, native=False))
    return [(f.code, f.message) for f in report.findings if f.severity == "error"]


def test_real_bundles_have_no_catalog_findings(tmp_path):
    root = copy_repo(tmp_path, "monitoring/nagios", "monitoring/prometheus")
    assert _codes(root, "monitoring/nagios") == []
    assert _codes(root, "monitoring/prometheus") == []


def test_not_implemented_must_name_a_catalog_check(tmp_path):
    root = copy_repo(tmp_path, "monitoring/nagios")
    edit(
        root / "monitoring/nagios/manifest.yaml",
        "    not_implemented: {}\n",
        "    not_implemented:\n      rabbitmq-backlog: Not read from the management API here.\n",
    )
    codes = _codes(root, "monitoring/nagios")
    assert ("CAT001", "'rabbitmq-backlog' is not a check of the service-checks/v1 catalog") in codes


def test_a_secret_of_the_interface_must_stay_secret(tmp_path):
    root = copy_repo(tmp_path, "monitoring/prometheus")
    manifest = root / "monitoring/prometheus/manifest.yaml"
    edit(
        manifest,
        "    description: Password of mysql_username.\n    secret: true\n",
        "    description: Password of mysql_username.\n",
    )
    codes = _codes(root, "monitoring/prometheus")
    assert any(c == "IFC007" and "mysql_password" in m for c, m in codes), codes

import yaml
from opsbundle.cli import main
from opsbundle.validate import Options, run
from servicechecks_repo import copy_repo


def test_scaffold_declares_secrets_and_writes_none(tmp_path):
    root = copy_repo(tmp_path)
    argv = ["new", "monitoring/demo", "--tool", "demo", "--implements", "service-checks/v1"]
    assert main([*argv, "--service", "nova", "--root", str(root)]) == 0
    manifest = yaml.safe_load((root / "monitoring/demo/manifest.yaml").read_text())
    assert manifest["parameters"]["openstack_password"]["secret"] is True
    values = yaml.safe_load((root / "monitoring/demo/tests/values.yaml").read_text())
    assert not {"openstack_password", "rabbitmq_password", "mysql_password"} & set(values)
    report = run(root, Options(names=["monitoring/demo"], cache=False, native=False))
    assert report.errors == []

import json

from opsbundle.cli import main
from servicechecks_repo import REAL_ROOT

INVENTORY = str(REAL_ROOT / "monitoring/inventory.example.yaml")
EXTRA = [
    "--set", "contact_email=cloud-ops@example.org",
    "--set", "alert_webhook_url=https://pager.example.org/hooks/openstack",
    "--set", "alert_email_to=cloud-ops@example.org",
]  # fmt: skip
STACK = ["render", "bundles/openstack-monitoring", "--root", str(REAL_ROOT)]


def test_all_five_render_from_one_inventory(tmp_path):
    out = tmp_path / "out"
    assert main([*STACK, "-o", str(out), "--values", INVENTORY, *EXTRA]) == 0
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    bundles = {f["bundle"] for f in index["files"]}
    assert bundles == {
        f"monitoring/{t}" for t in ("prometheus", "nagios", "icinga2", "sensu", "zabbix")
    }
    secret_files = [f for f in index["files"] if f["secrets"]]
    assert secret_files and all(int(f["mode"], 8) & 0o007 == 0 for f in secret_files)


def test_missing_secret_is_named_and_nothing_written(tmp_path, capsys):
    inventory = tmp_path / "inventory.yaml"
    text = (REAL_ROOT / "monitoring/inventory.example.yaml").read_text(encoding="utf-8")
    inventory.write_text(text.replace("mysql_password: placeholder-mysql-password\n", ""))
    out = tmp_path / "out"
    assert main([*STACK, "-o", str(out), "--values", str(inventory), *EXTRA]) == 1
    assert "missing required parameter 'mysql_password' (secret)" in capsys.readouterr().err
    assert not out.exists()

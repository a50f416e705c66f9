"""render_check.py: `opsbundle render --check` runs the tools' own checks on
the site's rendered files before anything is written."""

from __future__ import annotations

import shutil

from conftest import REAL_ROOT, snapshot
from opsbundle.cli import main

INVENTORY = str(REAL_ROOT / "monitoring/inventory.example.yaml")


def _repo(tmp_path, *refs):
    root = tmp_path / "repo"
    shutil.copytree(REAL_ROOT / "interfaces", root / "interfaces")
    for ref in refs:
        shutil.copytree(REAL_ROOT / ref, root / ref)
    for top in ("logging", "monitoring", "packaging", "bundles"):
        (root / top).mkdir(exist_ok=True)
    shutil.copy(REAL_ROOT / "monitoring/inventory.example.yaml", root / "monitoring")
    return root


def test_a_clean_site_render_is_checked_and_written(tmp_path, capsys):
    root = _repo(tmp_path, "monitoring/nagios")
    out = tmp_path / "out"
    argv = ["render", "monitoring/nagios", "--root", str(root), "-o", str(out), "--check"]
    assert main([*argv, "--values", INVENTORY, "--set", "contact_email=ops@example.org"]) == 0
    assert (out / "index.json").is_file()


def test_values_the_tool_refuses_write_nothing(tmp_path, capsys):
    """check_interval_seconds=0 is an int, as declared, but no sensu check runs
    every 0 s: the strict sensu schema (emulated, NAT003) refuses it."""
    root = _repo(tmp_path, "monitoring/sensu")
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    argv = ["render", "monitoring/sensu", "--root", str(root), "-o", str(out), "--check"]
    argv += ["--values", INVENTORY, "--set", "contact_email=ops@example.org"]
    assert main([*argv, "--set", "check_interval_seconds=0"]) == 1
    err = capsys.readouterr().err
    assert "the native engines refuse the rendered files" in err
    assert "NAT003" in err
    assert snapshot(tmp_path) == before  # no output folder, no staging folder
    assert main(argv) == 0  # the same render with the default interval


def test_a_real_engine_refuses_a_site_value(tmp_path, capsys):
    """rsyslogd -N1 on the site's files: a module name that passes its format
    (an identifier) but that rsyslog does not have."""
    root = _repo(tmp_path, "logging/rsyslog")
    manifest = root / "logging/rsyslog/manifest.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "  tls_enabled:\n",
            "  extra_module:\n    type: str\n    format: identifier\n"
            "    description: An extra module to load.\n    default: imfile\n  tls_enabled:\n",
        )
    )
    conf = root / "logging/rsyslog/files/forward.conf.j2"
    conf.write_text('module(load="{{ extra_module }}")\n' + conf.read_text())
    out = tmp_path / "out"
    argv = ["render", "logging/rsyslog", "--root", str(root), "-o", str(out), "--check"]
    argv += ["--set", "log_layout=kolla", "--set", "log_services=[nova]"]
    argv += ["--set", "aggregator_host=logs.example.org"]
    assert main([*argv, "--set", "extra_module=omnosuchthing"]) == 1
    assert "NAT001" in capsys.readouterr().err
    assert not out.exists()

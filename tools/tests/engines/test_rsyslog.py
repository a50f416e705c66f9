"""engines/rsyslog.py against the real rsyslogd (tools/setup.sh installs it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from opsbundle import engines
from opsbundle.cli import main

REPO = Path(__file__).resolve().parents[3]


def _repo_with_rsyslog(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "interfaces", tmp_path / "interfaces")
    shutil.copytree(REPO / "logging" / "rsyslog", tmp_path / "logging" / "rsyslog")
    return tmp_path


def test_rsyslogd_is_installed():
    # The native checks are part of CI; a machine without rsyslogd must say so loudly.
    assert shutil.which("rsyslogd"), "rsyslogd missing: run tools/setup.sh"


def test_shipped_bundle_passes_rsyslogd(tmp_path, capsys):
    root = _repo_with_rsyslog(tmp_path)
    code = main(["validate", "--root", str(root), "--require-native", "--no-cache"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "rsyslogd checked 1 bundle(s)" in out


def test_rsyslogd_rejects_a_bad_drop_in(tmp_path, capsys):
    root = _repo_with_rsyslog(tmp_path)
    template = root / "logging/rsyslog/files/forward.conf.j2"
    template.write_text(template.read_text().replace('protocol="tcp"', 'protocol="tcpx"'))
    code = main(["validate", "--root", str(root), "--no-cache"])
    out = capsys.readouterr().out
    assert code == 1
    lines = [line for line in out.splitlines() if " NAT001 " in line]
    assert lines, out
    assert lines[0].startswith("logging/rsyslog/files/forward.conf.j2:")
    assert 'invalid protocol "tcpx"' in out
    # findings name the destination, never the scratch directory the check used
    assert all("opsbundle-rsyslog-" not in line for line in lines)
    # the module's complaint and the parse error both point at the drop-in at fault
    assert all(line.startswith("logging/rsyslog/files/forward.conf.j2:") for line in lines)
    assert "/etc/rsyslog.d/61-opsbundles-forward.conf, line" in out


def test_missing_engine_fails_only_when_required(tmp_path, capsys, monkeypatch):
    root = _repo_with_rsyslog(tmp_path)
    monkeypatch.setattr(engines, "missing", lambda engine: [engine.BINARY])
    assert main(["validate", "--root", str(root), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "rsyslogd not installed (Debian package rsyslog)" in out
    assert main(["validate", "--root", str(root), "--no-cache", "--require-native"]) == 1
    out = capsys.readouterr().out
    assert "logging/rsyslog/manifest.yaml:1:1: NAT002 rsyslogd not installed" in out


def test_no_native_skips_the_engine(tmp_path, capsys):
    root = _repo_with_rsyslog(tmp_path)
    template = root / "logging/rsyslog/files/forward.conf.j2"
    template.write_text(template.read_text().replace('protocol="tcp"', 'protocol="tcpx"'))
    assert main(["validate", "--root", str(root), "--no-cache", "--no-native"]) == 0
    assert "NAT001" not in capsys.readouterr().out

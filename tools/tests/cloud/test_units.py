"""A packaged unit read as systemd reads the parts a start needs."""

from __future__ import annotations

import pytest
from testcloud import units
from testcloud.daemon import DaemonError

UNIT = """# a comment
[Unit]
Description=OpenStack Identity API
Environment=NOT=service

[Service]
Type=notify
User=keystone
Group=keystone
WorkingDirectory=/var/lib/keystone
RuntimeDirectory=keystone lock/keystone
Environment=A=1 "B=two words"
Environment=C=3
ExecStart=-/usr/bin/uwsgi --ini /etc/keystone/keystone-api-uwsgi.ini --http-socket :5000

[Install]
WantedBy=multi-user.target
"""


def test_the_service_section_as_systemd_reads_it(tmp_path):
    path = tmp_path / "keystone-api.service"
    path.write_text(UNIT)
    service = units.read(path)
    assert service.exec_start == [
        "/usr/bin/uwsgi", "--ini", "/etc/keystone/keystone-api-uwsgi.ini",
        "--http-socket", ":5000",
    ]  # fmt: skip
    assert (service.user, service.group, service.type) == ("keystone", "keystone", "notify")
    assert service.environment == {"A": "1", "B": "two words", "C": "3"}
    assert service.working_directory == "/var/lib/keystone"
    assert service.runtime_directories == ["keystone", "lock/keystone"]


def test_a_unit_without_one_execstart_is_refused(tmp_path):
    path = tmp_path / "x.service"
    path.write_text("[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n")
    with pytest.raises(DaemonError, match="2 ExecStart"):
        units.read(path)
    with pytest.raises(DaemonError, match="No such file"):
        units.read(tmp_path / "missing.service")

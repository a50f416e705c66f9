"""`opsbundle build packaging/deb`: real dpkg-buildpackage runs on real
OpenStack sdists from PyPI and on a git checkout, inspected with dpkg and
checked with lintian."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from ..conftest import ROOT, sdist
from .builds import LIBRARY, SERVICE, built, checkout, run_build


def build(capsys, out: Path, project: str, source: Path, *extra, root: Path = ROOT):
    code = run_build("packaging/deb", project, source, out, *extra, root=root)
    return code, capsys.readouterr()


def field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def contents(deb: Path) -> set[str]:
    out = subprocess.run(["dpkg", "-c", str(deb)], capture_output=True, text=True, check=True)
    return {line.split()[-1].removeprefix(".") for line in out.stdout.splitlines()}


def lintian(deb: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "lintian",
            "--fail-on",
            "error,warning",
            "--suppress-tags-from-file",
            str(ROOT / "packaging/deb/tests/lintian-suppress"),
            str(deb),
        ],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return built(tmp_path_factory, "packaging/deb", LIBRARY)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    return built(tmp_path_factory, "packaging/deb", SERVICE)


def test_library_deb_holds_the_code_at_the_sdist_version(library):
    (deb,) = library.glob("*.deb")
    assert deb.name == "python3-os-service-types_1.7.0-1_all.deb"
    assert field(deb, "Version") == "1.7.0-1"
    # the source's requirement with its bound (pbr>=2.0.0), in Debian's name
    assert "python3-pbr (>= 2.0.0)" in field(deb, "Depends")
    assert field(deb, "Conflicts") == "python3-os-service-types"
    files = contents(deb)
    assert "/usr/lib/python3/dist-packages/os_service_types/__init__.py" in files
    assert "/usr/lib/python3/dist-packages/os_service_types/data/service-types.json" in files
    summary = json.loads((library / "build.json").read_text())
    assert summary["family"] == "deb"
    assert summary["packages"][0]["version"] == "1.7.0-1"


def test_library_deb_passes_lintian(library):
    (deb,) = library.glob("*.deb")
    done = lintian(deb)
    assert done.returncode == 0, done.stdout + done.stderr


def test_service_deb_installs_units_logrotate_tmpfiles_and_config(service, tmp_path):
    (deb,) = service.glob("*.deb")
    assert deb.name == "openstack-glance_29.0.0-1_all.deb"
    files = contents(deb)
    for path in (
        "/lib/systemd/system/glance-api.service",
        "/usr/bin/glance-api",
        "/etc/logrotate.d/openstack-glance",
        "/usr/lib/tmpfiles.d/openstack-glance.conf",
        "/etc/glance/glance-api.conf",
        "/etc/glance/glance-api-paste.ini",
        "/etc/glance/glance-api-uwsgi.ini",
    ):
        assert path in files, path
    assert "/lib/systemd/system/glance-api-wsgi.service" not in files
    tree = tmp_path / "tree"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
    layouts = yaml.safe_load((ROOT / "interfaces/log-collection/v1/layouts.yaml").read_text())
    log_dir = layouts["layouts"]["debian"]["path"].format(service="glance")
    assert f"{log_dir}/*.log {{" in (tree / "etc/logrotate.d/openstack-glance").read_text()
    assert (
        f"d {log_dir} 2750 glance adm -"
        in (tree / "usr/lib/tmpfiles.d/openstack-glance.conf").read_text()
    )
    assert f"log_dir = {log_dir}\n" in (tree / "etc/glance/glance-api.conf").read_text()
    unit = (tree / "lib/systemd/system/glance-api.service").read_text()
    assert "ExecStart=/usr/bin/glance-api --config-file /etc/glance/glance-api.conf\n" in unit
    assert "User=glance\nGroup=glance\n" in unit and "LimitNOFILE=65535" in unit
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    postinst = (control / "postinst").read_text()
    # glance's uid and gid: 64062, reserved in Debian (openstack-pkg-tools' pkgos_adduser)
    assert "addgroup --quiet --system --gid 64062 glance" in postinst
    assert "--ingroup glance --uid 64062" in postinst
    assert "install -d -o glance -g adm -m 2750 /var/log/glance" in postinst
    postrm = (control / "postrm").read_text()
    assert "deluser --quiet glance" in postrm and "rm -rf /var/lib/glance /var/log/glance" in postrm
    assert "deb-systemd-helper enable 'glance-api.service'" in postinst
    done = lintian(deb)
    assert done.returncode == 0, done.stdout + done.stderr


def test_git_checkout_builds_a_dev_version(capsys, tmp_path):
    src = checkout(tmp_path, 1)
    code, io = build(capsys, tmp_path / "out", LIBRARY[0], src, "--set", "package_release=3")
    assert code == 0, io.err
    (deb,) = (tmp_path / "out").glob("*.deb")
    assert field(deb, "Version") == "1.7.1~~dev1-3"
    assert any("os_service_types-1.7.1.dev1" in f for f in contents(deb))


def test_a_broken_control_shows_dpkgs_error_and_leaves_out_alone(capsys, tmp_path, repo_copy):
    control = repo_copy / "packaging/deb/build/control.j2"
    control.write_text(control.read_text().replace("Architecture: all", "Architecture: all\nBogus"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep").write_text("old")
    code, io = build(capsys, out, LIBRARY[0], sdist(*LIBRARY), "--force", root=repo_copy)
    assert code == 1
    assert "dpkg-buildpackage failed" in io.err
    assert "debian/control" in io.err and "Bogus" in io.err
    assert [p.name for p in out.iterdir()] == ["keep"]

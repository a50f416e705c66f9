"""`opsbundle build packaging/rpm`: real rpmbuild runs on real OpenStack sdists
from PyPI and on a git checkout, and the packages are inspected with rpm."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ..conftest import ROOT, sdist
from .builds import LIBRARY, SERVICE, built, checkout, run_build


def build(capsys, out: Path, project: str, source: Path, *extra, root: Path = ROOT):
    code = run_build("packaging/rpm", project, source, out, *extra, root=root)
    return code, capsys.readouterr()


def rpm_q(path: Path, *args: str) -> str:
    return subprocess.run(
        ["rpm", "-qp", *args, str(path)], capture_output=True, text=True, check=True
    ).stdout


def rpmlint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "rpmlint",
            "--ignore-unused-rpmlintrc",
            "-r",
            str(ROOT / "packaging/rpm/tests/rpmlintrc"),
            str(path),
        ],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return built(tmp_path_factory, "packaging/rpm", LIBRARY)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    return built(tmp_path_factory, "packaging/rpm", SERVICE)


def test_library_package_holds_the_code_at_the_sdist_version(library):
    (rpm,) = library.glob("*.rpm")
    assert rpm.name == "python3-os-service-types-1.7.0-1.noarch.rpm"
    assert rpm_q(rpm, "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH}") == (
        "python3-os-service-types 1.7.0 1 noarch"
    )
    files = rpm_q(rpm, "-l").split()
    assert any(f.endswith("site-packages/os_service_types/__init__.py") for f in files)
    assert any(f.endswith("site-packages/os_service_types/data/service-types.json") for f in files)
    assert "python3-pbr >= 2.0.0" in rpm_q(rpm, "-R")
    summary = json.loads((library / "build.json").read_text())
    assert summary["version"] == {
        "pbr": "1.7.0",
        "package": "1.7.0",
        "release": "1",
        "from": "PKG-INFO",
    }
    assert summary["packages"][0]["name"] == "python3-os-service-types"


def test_library_package_passes_rpmlint(library):
    (rpm,) = library.glob("*.rpm")
    done = rpmlint(rpm)
    assert done.returncode == 0, done.stdout + done.stderr


def test_service_package_installs_units_logrotate_tmpfiles_and_config(service):
    (rpm,) = service.glob("*.rpm")
    assert rpm.name == "openstack-glance-29.0.0-1.noarch.rpm"
    files = set(rpm_q(rpm, "-l").split())
    for path in (
        "/usr/lib/systemd/system/glance-api.service",
        "/usr/bin/glance-api",
        "/etc/logrotate.d/openstack-glance",
        "/usr/lib/tmpfiles.d/openstack-glance.conf",
        "/etc/glance/glance.conf",
        "/etc/glance/glance-api-paste.ini",
        "/var/log/glance",
        "/var/lib/glance",
    ):
        assert path in files, path
    assert "useradd -r -g glance" in rpm_q(rpm, "--scripts")
    done = rpmlint(rpm)
    assert done.returncode == 0, done.stdout + done.stderr


def unpack(rpm: Path, dest: Path) -> Path:
    dest.mkdir()
    cpio = subprocess.run(["rpm2cpio", str(rpm)], capture_output=True, check=True).stdout
    subprocess.run(["cpio", "-idm", "--quiet"], input=cpio, cwd=dest, check=True)
    return dest


def test_service_logs_land_where_the_logging_bundles_read(service, tmp_path):
    (rpm,) = service.glob("*.rpm")
    tree = unpack(rpm, tmp_path / "tree")
    layouts = yaml.safe_load((ROOT / "interfaces/log-collection/v1/layouts.yaml").read_text())
    log_dir = layouts["layouts"]["rdo"]["path"].format(service="glance")
    rotate = (tree / "etc/logrotate.d/openstack-glance").read_text()
    assert f"{log_dir}/*.log {{" in rotate
    assert f"log_dir = {log_dir}\n" in (tree / "etc/glance/glance.conf").read_text()
    unit = (tree / "usr/lib/systemd/system/glance-api.service").read_text()
    assert "ExecStart=/usr/bin/glance-api --config-file /etc/glance/glance.conf" in unit
    assert "User=glance" in unit


def test_git_checkout_builds_a_dev_version(capsys, tmp_path):
    src = checkout(tmp_path, 2)
    code, io = build(capsys, tmp_path / "out", LIBRARY[0], src)
    assert code == 0, io.err
    (rpm,) = (tmp_path / "out").glob("*.rpm")
    assert rpm_q(rpm, "--qf", "%{VERSION}") == "1.7.1~~dev2"
    assert any("os_service_types-1.7.1.dev2-py" in f for f in rpm_q(rpm, "-l").split())


def test_a_broken_spec_shows_rpmbuilds_error_and_its_line_and_leaves_out_alone(
    capsys, tmp_path, repo_copy
):
    spec = repo_copy / "packaging/rpm/build/openstack.spec.j2"
    spec.write_text(spec.read_text().replace("BuildArch:      noarch", "BuildArchh: noarch"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep").write_text("old")
    code, io = build(capsys, out, LIBRARY[0], sdist(*LIBRARY), "--force", root=repo_copy)
    assert code == 1
    assert "Unknown tag: BuildArchh" in io.err
    assert (
        "python3-os-service-types.spec (rendered from packaging/rpm/build/openstack.spec.j2)"
        in io.err
    )
    assert "| BuildArchh: noarch" in io.err
    assert [p.name for p in out.iterdir()] == ["keep"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_a_failing_setup_py_shows_pythons_error(capsys, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(sdist(*LIBRARY), src)
    (src / "setup.py").write_text("raise SystemExit('site setup.py is broken')\n")
    code, io = build(capsys, tmp_path / "out", LIBRARY[0], src)
    assert code == 1
    assert "site setup.py is broken" in io.err
    assert "Bad exit status" in io.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "project, source, message",
    [
        ("swift", None, "'swift' is not a project of package-build/v1"),
        (LIBRARY[0], "/nonexistent", "no setup.py or setup.cfg"),
    ],
)
def test_bad_input_is_a_clear_error(capsys, tmp_path, project, source, message):
    code, io = build(capsys, tmp_path / "out", project, source or sdist(*LIBRARY))
    assert code == 1
    assert message in io.err
    assert "Traceback" not in io.err
    assert not (tmp_path / "out").exists()


def test_an_unwritable_output_is_a_clear_error(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, io = build(capsys, blocker / "out", LIBRARY[0], sdist(*LIBRARY))
    assert code == 1
    assert "cannot write next to" in io.err
    assert "Traceback" not in io.err


def test_an_existing_output_needs_force(capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep").write_text("old")
    code, io = build(capsys, out, LIBRARY[0], sdist(*LIBRARY))
    assert code == 1
    assert "is not empty; pass --force" in io.err
    assert (out / "keep").read_text() == "old"

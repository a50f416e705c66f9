"""`opsbundle build packaging/rpm`: real rpmbuild runs on real OpenStack sdists
from PyPI (among them the test cloud's releases) and on a git checkout, and
the packages are inspected with rpm and rpmlint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from testcloud import debs

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
    assert "python3dist(pbr) >= 2.0.0" in rpm_q(rpm, "-R")
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
        "/etc/glance/glance-api.conf",
        "/etc/glance/glance-api-paste.ini",
        "/usr/share/openstack-glance/httpd/glance-api.conf",
        "/var/log/glance",
        "/var/lib/glance",
    ):
        assert path in files, path
    # RDO's openstack-glance.spec fixes glance's uid and gid: 161
    assert "useradd -r -u 161 -g glance" in rpm_q(rpm, "--scripts")
    assert "groupadd -r --gid 161 glance" in rpm_q(rpm, "--scripts")
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
    assert f"log_dir = {log_dir}\n" in (tree / "etc/glance/glance-api.conf").read_text()
    unit = (tree / "usr/lib/systemd/system/glance-api.service").read_text()
    # glance-api reads glance-api.conf (RDO's openstack-glance-api.service relies on it)
    assert "ExecStart=/usr/bin/glance-api --config-file /etc/glance/glance-api.conf\n" in unit
    assert "User=glance" in unit and "LimitNOFILE=65535" in unit


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
        ("swift", None, "'swift' is not a project of package-build/v2"),
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


# --------------------------------------------------------------------------- the cloud's releases


def rdo_names() -> set[str]:
    lines = (ROOT / "packaging/rpm/tests/rdo-requires.txt").read_text().splitlines()
    return {ln.split()[0] for ln in lines if ln.strip() and not ln.startswith(("#", " "))}


@pytest.fixture(scope="module", params=sorted(debs.RELEASE))
def zed(request, tmp_path_factory):
    """The rpm of one of the test cloud's projects, from the same sdist."""
    return request.param, built(tmp_path_factory, "packaging/rpm",
                                (request.param, debs.RELEASE[request.param][1]),
                                dist=debs.RELEASE[request.param][0])  # fmt: skip


def test_the_cloud_releases_build_as_rpms_that_pass_rpmlint(zed, tmp_path):
    project, out = zed
    (rpm,) = out.glob("*.rpm")
    done = rpmlint(rpm)
    assert done.returncode == 0, done.stdout + done.stderr
    tree = unpack(rpm, tmp_path / "tree")
    sites = sorted((tree / "etc/httpd/conf.d").glob("*.conf"))
    if project == "glance":  # glance-api (eventlet) serves the API: no site enabled
        assert sites == [] and (tree / "usr/lib/systemd/system/glance-api.service").is_file()
    else:  # keystone and placement: httpd sites on their documented ports, as RDO's
        port = {"keystone": 5000, "placement": 8778}[project]
        (site,) = sites
        text = site.read_text()
        assert f"Listen {port}\n" in text and f"user={project} group={project}" in text
        assert "@PYTHON3_SITELIB@" not in text


def test_every_requires_is_python3dist_or_a_name_rdo_uses(zed):
    project, out = zed
    (rpm,) = out.glob("*.rpm")
    names = rdo_names()
    bad = []
    for line in rpm_q(rpm, "--requires").splitlines():
        name = line.split()[0]
        if re.match(r"\(*python3(\.\d+)?dist\(", name):
            continue  # ours, and what rpm's python dependency generator adds (python3.11dist)
        if name.startswith(("rpmlib(", "config(", "python(abi)", "/")):
            continue  # rpm's own: rpmlib() features, %config, the interpreter ABI, shells
        if name not in names:
            bad.append(line)
    assert bad == []
    requires = rpm_q(rpm, "--requires")
    assert re.search(r"^python3dist\(oslo-config\) >= \d", requires, re.M)
    if project == "keystone":  # its memcache extra, as RDO's python3-keystone+memcache
        assert "python3dist(python-memcached) >= 1.56" in requires

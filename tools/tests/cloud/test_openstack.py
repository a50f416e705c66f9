"""The mini cloud built from our own debs: keystone, placement and glance
installed in a Debian 12 chroot by apt from Debian's archive, started as
their units say, proven with Debian's python3-openstackclient.

Slow the first time (it builds three debs and a chroot; both are cached by
content), so these tests are marked `openstack` and run in `nox -s cloud`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from testcloud import node as nodes
from testcloud import probes, units

pytestmark = pytest.mark.openstack
SERVICES = ("keystone", "placement", "glance")
OPENSTACK = "/usr/bin/openstack"  # Debian's python3-openstackclient, on this host


@pytest.fixture(scope="module")
def cloud(testcloud):
    testcloud.up(["openstack"])
    return testcloud


def openstack(cloud, *args: str) -> str:
    admin = cloud.services["admin"]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
    env.update({f"OS_{k.upper()}": str(v) for k, v in admin.items()})
    done = subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, f"openstack {' '.join(args)}: {done.stderr}"
    return done.stdout


def in_node(cloud, argv, user=None):
    root = Path(cloud.services["node"])
    return subprocess.run(nodes.inside(root, argv, user=user), capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


def test_a_token_and_the_catalog(cloud):
    token = json.loads(openstack(cloud, "token", "issue", "-f", "json"))
    assert token["id"] and token["project_id"]
    catalog = {e["Type"]: e for e in json.loads(openstack(cloud, "catalog", "list", "-f", "json"))}
    assert set(catalog) == {"identity", "placement", "image"}
    endpoints = cloud.services["endpoints"]
    for kind in catalog:
        urls = {e["url"] for e in catalog[kind]["Endpoints"]}
        assert urls == {endpoints[kind] + ("/" if kind == "identity" else "")}, kind


def test_placement_lists_the_resource_provider_it_was_given(cloud):
    name = f"testcloud-rp-{os.getpid()}"
    openstack(cloud, "resource", "provider", "create", name)
    found = json.loads(openstack(cloud, "resource", "provider", "list", "-f", "json"))
    assert name in {rp["name"] for rp in found}


def test_an_image_uploaded_comes_back_byte_for_byte(cloud, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "in.raw").write_bytes(data)
    name = f"testcloud-image-{os.getpid()}"
    created = json.loads(openstack(
        cloud, "image", "create", "--file", str(tmp_path / "in.raw"), "--disk-format", "raw",
        "--container-format", "bare", "-f", "json", name,
    ))  # fmt: skip
    shown = json.loads(openstack(cloud, "image", "show", "-f", "json", created["id"]))
    assert (shown["status"], shown["size"]) == ("active", len(data))
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    openstack(cloud, "image", "save", "--file", str(tmp_path / "out.raw"), created["id"])
    assert hashlib.sha256((tmp_path / "out.raw").read_bytes()).hexdigest() == (
        hashlib.sha256(data).hexdigest()
    )
    stored = Path(cloud.services["node"]) / "var/lib/glance/images" / created["id"]
    assert stored.stat().st_size == len(data)


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_as_its_unit_says(cloud, name):
    daemon = cloud.get(name)
    root = Path(cloud.services["node"])
    service = units.read(root / "lib/systemd/system" / daemon.info["unit"])
    pid = daemon.procs[0].pid
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    started = [a.decode() for a in argv]
    # uwsgi renames its master; the unit's ExecStart is what was executed
    assert daemon.info["exec_start"][0] == service.exec_start[0]
    diff = [(a, b) for a, b in zip(daemon.info["exec_start"], service.exec_start, strict=True)
            if a != b]  # fmt: skip
    if name == "glance":  # a python console script: the interpreter, then ExecStart
        assert diff == [] and started[1:] == service.exec_start
    else:  # only the socket's address, kept off the shared machine's fixed port
        assert len(diff) == 1 and re.fullmatch(r"127\.0\.0\.1:\d+", diff[0][0]), diff
        assert re.fullmatch(r":\d+", diff[0][1])
    status = Path(f"/proc/{pid}/status").read_text()
    uid, gid, _ = nodes.account(root, service.user)[0].split(":") + [""]
    assert re.search(rf"^Uid:\s+{uid}\s+{uid}\s", status, re.M)
    assert re.search(rf"^Gid:\s+{gid}\s+{gid}\s", status, re.M)
    assert os.readlink(f"/proc/{pid}/root") == str(root)
    assert os.readlink(f"/proc/{pid}/cwd") == str(root / service.working_directory.lstrip("/"))
    for folder in service.runtime_directories:
        assert (root / "run" / folder).stat().st_uid == int(uid)


def test_the_postinst_gives_the_ids_debian_reserves(cloud):
    """openstack-pkg-tools' pkgos_adduser (pkgos_func) reserves 64062 for
    glance (bug #884178); keystone and placement get a dynamic system id."""
    root = Path(cloud.services["node"])
    ids = {name: nodes.account(root, name)[0] for name in SERVICES}
    assert ids["glance"] == "64062:64062"
    for name in ("keystone", "placement"):
        uid, gid = (int(n) for n in ids[name].split(":"))
        assert 100 <= uid < 1000 and 100 <= gid < 1000, (name, uid, gid)  # adduser --system


@pytest.mark.parametrize("name", SERVICES)
def test_logs_land_in_the_layouts_folder_readable_by_group_adm(cloud, name):
    root = Path(cloud.services["node"])
    folder = root / "var/log" / name
    info = folder.stat()
    assert oct(info.st_mode & 0o7777) == "0o2750"  # setgid: its files are group adm too
    assert in_node(cloud, ["stat", "-c", "%U:%G", f"/var/log/{name}"]).stdout.strip() == (
        f"{name}:adm"
    )
    logs = cloud.services["logs"][name]
    assert logs, f"{name} wrote no log under {folder}"
    for path in logs.values():
        assert Path(path).parent == folder
        # a log shipper in group adm (and nothing else) reads it
        shipper = ["setpriv", "--reuid=65534", "--regid=4", "--clear-groups"]
        done = in_node(cloud, [*shipper, "head", "-c", "1", f"/var/log/{name}/{Path(path).name}"])
        assert done.returncode == 0, done.stderr


def wait_for(check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the timeout"
        time.sleep(0.5)


@pytest.mark.parametrize("name, path", [("keystone", "/v3"), ("glance", "/versions")])
def test_logrotate_with_the_packages_file_rotates_and_the_service_keeps_logging(cloud, name, path):
    daemon = cloud.get(name)
    root = Path(cloud.services["node"])
    done = in_node(cloud, ["logrotate", "-f", "-s", f"/var/lib/logrotate/testcloud-{name}",
                           f"/etc/logrotate.d/openstack-{name}"])  # fmt: skip
    assert done.returncode == 0, done.stderr
    folder = root / "var/log" / name
    rotated = sorted(p.name for p in folder.glob("*.log.1"))
    assert rotated, f"nothing rotated in {folder}: {sorted(p.name for p in folder.iterdir())}"
    current = {p: p.stat().st_size for p in folder.glob("*.log")}
    for _ in range(3):
        probes.http_request(daemon.info["url"] + path)
    wait_for(lambda: any(p.stat().st_size > current[p] for p in current))


def test_removal_and_purge_leave_no_unit_user_or_file(cloud, tmp_path):
    """In a copy of the running node (the services keep running in the
    original; the copy sees none of them, as a host whose services the
    package's prerm stopped): purge our packages and compare with the base
    they were installed on."""
    root = Path(cloud.services["node"])
    node = cloud.get("node")
    copy = tmp_path / "root"
    subprocess.run(["cp", "-a", "--reflink=auto", str(root), str(copy)], check=True, timeout=600)
    packages = node.info["packages"]
    done = subprocess.run(
        nodes.inside(copy, ["apt-get", "purge", "-y", "-q", *packages],
                     env={"DEBIAN_FRONTEND": "noninteractive"}, own_pids=True),
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    for name in SERVICES:
        assert not (copy / "etc" / name).exists()
        assert not (copy / "var/log" / name).exists()
        assert not (copy / "var/lib" / name).exists()
        assert not list((copy / "lib/systemd/system").glob(f"{name}*"))
        assert not re.search(rf"^{name}:", (copy / "etc/passwd").read_text(), re.M)
        assert not re.search(rf"^{name}:", (copy / "etc/group").read_text(), re.M)
    with tarfile.open(node.info["base"]) as tar:
        base = {m.name.lstrip("./").rstrip("/") for m in tar.getmembers()} - {""}
    after = {p.relative_to(copy).as_posix() for p in copy.rglob("*")}
    # what apt, dpkg and the cloud's own run leave, none of it the packages'
    bookkeeping = re.compile(
        r"^(var/(log/(apt|dpkg\.log|alternatives\.log)|cache/(apt|debconf|testcloud-debs|ldconfig)"
        r"|lib/(apt|dpkg|logrotate|systemd/deb-systemd-helper-(enabled|masked)|ucf))"
        r"|etc/(resolv\.conf|ld\.so\.cache|(passwd|group|shadow|gshadow)-)|dev/|proc/|run/|tmp/)"
    )
    left = sorted(p for p in after - base if not bookkeeping.match(p))
    assert left == []
    shutil.rmtree(copy, ignore_errors=True)


def test_the_state_file_hands_the_cloud_to_later_suites(cloud):
    data = json.loads((cloud.state_dir / "state.json").read_text())
    services = data["services"]
    assert set(services["endpoints"]) == {"identity", "placement", "image"}
    for url in services["endpoints"].values():
        assert probes.http_request(url)[0] in (200, 300)
    assert services["admin"]["password"] and services["admin"]["auth_url"].endswith("/v3")
    for name in SERVICES:
        assert all(Path(p).is_file() for p in services["logs"][name].values())

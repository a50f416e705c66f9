"""The state file hands a running cloud to another process: `python -m
testcloud up|status|down` from separate processes, the fixture reusing a
cloud named by OPSBUNDLES_TESTCLOUD, and `down` stopping the recorded PIDs."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REAL_ROOT, subprocess_env
from testcloud import state
from testcloud.cloud import Cloud, order
from testcloud.daemon import DaemonError


def run_testcloud(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "testcloud", *args],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


def test_order_starts_what_a_daemon_needs_first():
    assert order(["haproxy"]) == [["apache", "syslog", "uwsgi"], ["haproxy"]]
    with pytest.raises(DaemonError, match="no daemon 'nope'"):
        order(["nope"])


def test_up_status_down_across_processes(tmp_path):
    where = tmp_path / "cloud"
    up = run_testcloud("up", "memcached", "--state", str(where))
    assert up.returncode == 0, up.stderr
    data = json.loads((where / "state.json").read_text())
    assert stat.S_IMODE((where / "state.json").stat().st_mode) == 0o600
    pid = data["daemons"]["memcached"]["procs"][0]["pid"]
    assert not gone(pid)
    assert data["logs"]["memcached.memcached"] == str(where / "memcached" / "log" / "memcached.log")
    try:
        status = run_testcloud("status", "--state", str(where))
        assert status.returncode == 0, status.stdout + status.stderr
        assert "memcached    ready" in status.stdout and str(pid) in status.stdout
        # a fresh object in this process attaches to the same PID and it answers
        cloud = Cloud(where)
        assert cloud.get("memcached").procs[0].pid == pid
        assert b"STAT pid %d" % pid in cloud.get("memcached").stats()
    finally:
        down = run_testcloud("down", "--state", str(where))
    assert down.returncode == 0, down.stderr
    assert gone(pid)
    assert json.loads((where / "state.json").read_text())["daemons"] == {}
    assert not (where / "memcached").exists()
    after = run_testcloud("status", "memcached", "--state", str(where))
    assert after.returncode == 1


def test_a_dead_daemon_in_the_state_is_reported_and_restarted(tmp_path):
    cloud = Cloud(tmp_path)
    first = cloud.get("memcached")
    try:
        first.stop()
        assert cloud.status()["memcached"] == {
            "alive": False,
            "ready": False,
            "pids": [first.procs[0].pid],
            "logs": first.logs,
        }
        second = Cloud(tmp_path).get("memcached")
        assert second.procs[0].pid != first.procs[0].pid and second.ready()
    finally:
        Cloud(tmp_path).down()


def test_a_state_file_cannot_name_code_to_import(tmp_path):
    state.write(tmp_path, {"daemons": {"x": {"class": "os:system", "workdir": str(tmp_path)}}})
    with pytest.raises(DaemonError, match="not one of testcloud's"):
        Cloud(tmp_path)


def test_the_fixture_reuses_the_cloud_named_in_the_environment(tmp_path):
    where = tmp_path / "shared"
    assert run_testcloud("up", "memcached", "--state", str(where)).returncode == 0
    pid = json.loads((where / "state.json").read_text())["daemons"]["memcached"]["procs"][0]["pid"]
    suite = tmp_path / "test_reuse.py"
    suite.write_text(
        textwrap.dedent(f"""
        def test_reuse(testcloud):
            assert testcloud.get("memcached").procs[0].pid == {pid}
    """)
    )
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "testcloud.pytest_plugin",
                str(suite),
                "-m",
                "cloud",
                "-o",
                "addopts=",
                "--rootdir",
                str(tmp_path),
            ],
            env=subprocess_env(OPSBUNDLES_TESTCLOUD=str(where)),
            cwd=REAL_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 passed" in done.stdout
        assert not gone(pid), "the session stopped a cloud it did not start"
    finally:
        run_testcloud("down", "--state", str(where))
    assert gone(pid)


def test_status_of_a_bad_state_dir_is_a_clear_error(tmp_path):
    (tmp_path / "state.json").write_text("{not json")
    done = run_testcloud("status", "--state", str(tmp_path))
    assert done.returncode == 2
    assert "unreadable state file" in done.stderr and "Traceback" not in done.stderr

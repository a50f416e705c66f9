"""The base of every daemon: stop by PID really stops (the process and its
group), a reused PID is never signalled, readiness waits fail fast and
clearly, a start that dies is retried and then reported with its log."""

from __future__ import annotations

import os
import socket
import sys
import time

import pytest
from testcloud.daemon import Daemon, DaemonError, Proc, free_port, spawn, start_time, wait_until


def gone(pid: int) -> bool:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return True
    return fields[0] in ("Z", "X")


def test_free_port_is_bindable_on_loopback():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_stop_ends_the_process_and_its_group(tmp_path):
    # a shell whose child ignores nothing: both must be gone after stop()
    proc = spawn(
        ["sh", "-c", "sleep 600 & echo $! > child; wait"], tmp_path / "log", "sh", cwd=tmp_path
    )
    wait_until(lambda: (tmp_path / "child").read_text().strip() != "", "child", 10)
    child = int((tmp_path / "child").read_text())
    assert not gone(proc.pid) and not gone(child)
    proc.stop(timeout=5)
    assert gone(proc.pid)
    assert gone(child)


def test_stop_kills_what_ignores_term(tmp_path):
    script = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " print('up', flush=True); time.sleep(600)"
    )
    proc = spawn([sys.executable, "-c", script], tmp_path / "log", "stubborn")
    wait_until(lambda: "up" in (tmp_path / "log").read_text(), "stubborn", 20)
    started = time.monotonic()
    proc.stop(timeout=1)
    assert gone(proc.pid)
    assert time.monotonic() - started < 15


def test_a_reused_pid_is_never_signalled():
    # our own PID with a start time that is not ours: stop() must leave us alone
    impostor = Proc(os.getpid(), start_time(os.getpid()) + 1, "impostor")
    assert not impostor.alive()
    impostor.stop(timeout=0.1)  # would kill this test process if it signalled
    assert not gone(os.getpid())


def test_attached_proc_stops_by_record(tmp_path):
    proc = spawn(["sleep", "600"], tmp_path / "log", "sleep")
    other = Proc.from_record(proc.record())  # as another process would see it
    assert other.alive()
    other.stop(timeout=5)
    proc.popen.wait(5)
    assert gone(proc.pid)


def test_wait_until_gives_up_when_the_process_dies():
    started = time.monotonic()
    with pytest.raises(DaemonError, match="exited before it was ready"):
        wait_until(lambda: False, "thing", 60, alive=lambda: False)
    assert time.monotonic() - started < 5


def test_wait_until_times_out():
    with pytest.raises(DaemonError, match="not ready after"):
        wait_until(lambda: False, "thing", 0.3)


def test_wait_until_treats_oserror_as_not_yet():
    calls = []

    def check():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError
        return True

    wait_until(check, "thing", 10)
    assert len(calls) == 3


class Crasher(Daemon):
    """A daemon whose process exits at once, with a message in its log."""

    kind = "crasher"
    start_timeout = 10

    def prepare(self):
        self.port("main")
        self.log("main", "main.log")

    def launch(self):
        self.spawn(["sh", "-c", f"echo cannot bind >> {self.logs['main']}; exit 3"], "crasher")

    def ready(self):
        return False


def test_a_failed_start_reports_the_log_and_leaves_nothing(tmp_path):
    daemon = Crasher(tmp_path)
    with pytest.raises(DaemonError, match="cannot bind"):
        daemon.start()
    assert daemon.procs and not any(p.alive() for p in daemon.procs)

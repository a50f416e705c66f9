"""The base every daemon module builds on.

A daemon here is one or more real processes with their own data directory, on
kernel-chosen 127.0.0.1 ports, that count as started only when a real signal
answers (a socket, `SELECT 1`, an HTTP 200...). Everything a later process
needs to use or stop it is plain data (`Daemon.record()`), so a state file can
hand a running daemon to another test session.

A daemon module subclasses `Daemon` and fills in three steps:
    prepare()  write configs and initialise data under self.workdir (no process yet)
    launch()   start the processes with self.spawn(...)
    ready()    True when the real signal answers (called until it does)
and may add setup() (after ready: users, databases) and methods of its own.
Ports are picked in prepare() through self.port(name); if a process dies
before it is ready (another process took the port in between), start() picks
new ports and tries again.

Processes are stopped by their PID only: TERM, wait, then KILL for the leader
and anything left in its process group (every process is started in a session
of its own, so its group is ours alone). A PID is trusted only while its start
time matches the one recorded at spawn, so a reused PID is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HOST = "127.0.0.1"


class DaemonError(RuntimeError):
    """A daemon did not start, did not answer, or could not be stopped."""


# --------------------------------------------------------------------------- ports and waiting


# Daemons' ports come from below the kernel's ephemeral range
# (net.ipv4.ip_local_port_range), which it gives to outgoing connections: a
# daemon stopped for a restart keeps its port (what talks to it was configured
# with it), and a port of that range is soon some client's own (RabbitMQ's
# distribution port was, on this machine).
LOWEST = 20000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port free on 127.0.0.1 right now, below the ephemeral range when
    there is room there (else one the kernel picks)."""
    import random

    top = _ephemeral_start()
    for _ in range(100 if top - LOWEST >= 1000 else 0):
        candidate = random.randrange(LOWEST, top)
        if port_free(candidate):
            return candidate
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def token(n: int = 8) -> str:
    """A short random name part (node names, socket names): unique per start."""
    return secrets.token_hex(n // 2)


def password() -> str:
    return secrets.token_urlsafe(18)


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float,
    alive: Callable[[], bool] | None = None,
    interval: float = 0.1,
) -> None:
    """Poll `check` until it is true; raise when `timeout` passes or `alive`
    says the process being waited for has died (no point waiting longer).
    A check that raises OSError or DaemonError counts as "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except (OSError, DaemonError, subprocess.TimeoutExpired):
            pass  # not answering yet
        if alive is not None and not alive():
            raise DaemonError(f"{what}: the process exited before it was ready")
        if time.monotonic() > deadline:
            raise DaemonError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(interval)
        interval = min(interval * 1.5, 1.0)


# --------------------------------------------------------------------------- processes


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name, or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (field 22)."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


class Proc:
    """One process we started: its PID, the start time that proves it is
    still that process, and the Popen when it is our own child."""

    def __init__(self, pid: int, started: int, role: str, popen=None):
        self.pid, self.started, self.role, self.popen = pid, started, role, popen

    @classmethod
    def from_record(cls, data: dict) -> Proc:
        return cls(int(data["pid"]), int(data["start_time"]), str(data.get("role", "")))

    def record(self) -> dict:
        return {"pid": self.pid, "start_time": self.started, "role": self.role}

    def alive(self) -> bool:
        if self.popen is not None and self.popen.poll() is not None:
            return False
        fields = _stat(self.pid)
        return bool(fields) and fields[0] not in ("Z", "X") and int(fields[19]) == self.started

    def group(self) -> list[int]:
        """PIDs still in this process's group (its session leader was us)."""
        members = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = _stat(int(entry.name))
                if fields and fields[0] not in ("Z", "X") and int(fields[2]) == self.pid:
                    members.append(int(entry.name))
        return members

    def send(self, sig: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def wait(self, timeout: float) -> bool:
        """Until the process has exited (reaped when it is our child)."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        if self.popen is not None:
            self.popen.wait()
        return True

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """`sig`, wait, then KILL; then KILL what is left of its group."""
        leader_was_ours = self.alive()
        self.send(sig)
        if not self.wait(timeout):
            self.send(signal.SIGKILL)
            self.wait(10)
        if leader_was_ours or self.popen is not None:
            for pid in self.group():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            # a signal is delivered, not awaited: return once the group is gone
            deadline = time.monotonic() + 10
            while self.group() and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.alive() or ((leader_was_ours or self.popen) and self.group()):
            raise DaemonError(f"pid {self.pid} ({self.role}) or its group survived SIGKILL")


def spawn(
    argv: Sequence[str],
    log: Path,
    role: str,
    env: dict | None = None,
    cwd: Path | None = None,
    stderr: Path | None = None,
) -> Proc:
    """Start `argv` in a session of its own, stdin closed, stdout (and stderr,
    unless given its own file) appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out, open(stderr or os.devnull, "ab") as err:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err if stderr else subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    started = start_time(popen.pid)
    if started is None:  # exited at once: keep a record that reads as dead
        popen.wait()
        started = -1
    return Proc(popen.pid, started, role, popen)


def run(argv: Sequence[str], what: str, timeout: float = 120, **kwargs) -> str:
    """A short helper command (install-db, ctl tools); its output on failure."""
    done = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    if done.returncode != 0:
        raise DaemonError(f"{what}: exit {done.returncode}: {(done.stderr or done.stdout)[-2000:]}")
    return done.stdout


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------- the base


class Daemon:
    """One real daemon. Subclasses set `kind` (the state file's name for the
    class), `start_timeout`, and implement prepare/launch/ready."""

    kind = ""
    start_timeout = 60.0
    stop_timeout = 30.0
    attempts = 3

    def __init__(self, workdir: Path, **options):
        self.workdir = Path(workdir)
        self.options = options
        self.ports: dict[str, int] = {}
        self.logs: dict[str, str] = {}
        self.info: dict = {}
        self.procs: list[Proc] = []
        # ports of an earlier run of this daemon, taken again when still free,
        # so what talks to it (a config written before) keeps working
        self.preferred: dict[str, int] = {}

    # ----- for subclasses

    def prepare(self) -> None:
        """Write configs, initialise data; pick ports with self.port()."""

    def launch(self) -> None:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def setup(self) -> None:
        """After the first ready(): users, databases, anything that needs it up."""

    def port(self, name: str) -> int:
        wanted = self.preferred.get(name)
        if wanted and port_free(wanted):
            self.ports[name] = wanted
        else:
            self.ports[name] = free_port()
        return self.ports[name]

    def path(self, *parts: str) -> Path:
        path = self.workdir.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def folder(self, *parts: str, mode: int = 0o700) -> Path:
        path = self.workdir.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)
        return path

    def log(self, name: str, filename: str) -> Path:
        """Declare a log file (it goes into the state file under `name`)."""
        path = self.path("log", filename)
        self.logs[name] = str(path)
        return path

    def spawn(self, argv: Sequence[str], role: str, **kwargs) -> Proc:
        log = kwargs.pop("log", None) or self.path("log", f"{role}.out")
        proc = spawn(argv, Path(log), role, **kwargs)
        self.procs.append(proc)
        return proc

    # ----- lifecycle

    def alive(self) -> bool:
        return bool(self.procs) and all(p.alive() for p in self.procs)

    def start(self) -> Daemon:
        """prepare, launch, wait for ready(), setup. Retries with fresh ports
        when the process dies before it is ready; stops what it started on
        any failure."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        problem = ""
        for _ in range(self.attempts):
            self.ports, self.procs = {}, []
            try:
                self.prepare()
                self.launch()
                wait_until(self.ready, f"{self.kind}", self.start_timeout, alive=self.alive)
                self.setup()
                return self
            except DaemonError as err:
                problem = f"{err}\n{self.last_words()}"
                self.stop()
                if self.ports_still_free():
                    break
                self.preferred = {}  # someone took one: new ports, all of them
            except BaseException:
                self.stop()
                raise
        raise DaemonError(f"{self.kind} in {self.workdir} did not start: {problem}")

    def restart(self) -> Daemon:
        """Stop it and start it again on the same ports, data and configs
        (prepare() is not run again), as an operator's restart would: for
        tests that stop a daemon to see what notices, then bring it back."""
        self.stop()
        self.procs = []
        try:
            self.launch()
            wait_until(self.ready, f"{self.kind} (restart)", self.start_timeout, alive=self.alive)
        except BaseException:
            self.stop()
            raise
        return self

    def ports_still_free(self) -> bool:
        """After a failed start: True when none of our ports was taken by
        someone else meanwhile (then new ports would not help)."""
        return all(port_free(port) for port in self.ports.values())

    def last_words(self) -> str:
        return "\n".join(
            f"--- {name}: {path}\n{tail(Path(path))}" for name, path in sorted(self.logs.items())
        ) + "".join(
            f"\n--- {p.role}.out\n{tail(self.workdir / 'log' / (p.role + '.out'))}"
            for p in self.procs
        )

    def stop(self) -> None:
        """Stop every process, last started first, by PID."""
        problems = []
        for proc in reversed(self.procs):
            try:
                proc.stop(timeout=self.stop_timeout)
            except DaemonError as err:
                problems.append(str(err))
        if problems:
            raise DaemonError("; ".join(problems))

    # ----- state

    def record(self) -> dict:
        return {
            "kind": self.kind,
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "workdir": str(self.workdir),
            "options": self.options,
            "ports": self.ports,
            "logs": self.logs,
            "info": self.info,
            "procs": [p.record() for p in self.procs],
        }

    @classmethod
    def attach(cls, data: dict) -> Daemon:
        """A daemon started by another process, from its record."""
        daemon = cls(Path(data["workdir"]), **data.get("options", {}))
        daemon.ports = {k: int(v) for k, v in data.get("ports", {}).items()}
        daemon.logs = dict(data.get("logs", {}))
        daemon.info = dict(data.get("info", {}))
        daemon.procs = [Proc.from_record(p) for p in data.get("procs", [])]
        return daemon

    def __enter__(self) -> Daemon:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        pids = ",".join(str(p.pid) for p in self.procs)
        return f"<{self.kind} pids={pids} ports={self.ports}>"

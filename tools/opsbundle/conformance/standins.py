"""Stand-in endpoints on 127.0.0.1 for running rendered check commands.

Each stand-in answers like the real service as far as a check reads it, and
can be switched to a failing answer or stopped:
    HTTP   OpenStack API roots, RabbitMQ's /api/nodes and /api/overview,
           HAProxy's `;csv` stats
    TCP    AMQP (accepts), memcached (answers `stats`)
    CLI    an `openstack` executable printing canned `-f value` output
    PROC   a process whose command line looks like an OpenStack daemon's
They stand in for the services, never for the plugins: the commands under
test are the real monitoring-plugins.
"""

from __future__ import annotations

import http.server
import json
import os
import socketserver
import subprocess
import threading
import time
from pathlib import Path

HAPROXY_HEADER = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
    "wretr,wredis,status,weight,act,bck\n"
)


BACKENDS = ("keystone_api", "nova_api", "neutron_api")


def _haproxy_csv(down: int) -> str:
    """Stats of three backends (one server each), the first `down` of them
    with no server up: HAProxy then marks the BACKEND row DOWN too."""
    rows = []
    for i, name in enumerate(BACKENDS):
        state = "DOWN" if i < down else "UP"
        rows.append(f"{name},FRONTEND,,,0,1,100,5,0,0,0,0,0,,,,,OPEN,,,")
        rows.append(f"{name},ctl1,0,0,0,1,,5,0,0,,0,,0,0,0,0,{state},1,1,0")
        rows.append(f"{name},BACKEND,0,0,0,1,10,5,0,0,0,0,,0,0,0,0,{state},1,{int(i >= down)},0")
    return HAPROXY_HEADER + "\n".join(rows) + "\n"


def _rabbitmq_overview(ready: int) -> dict:
    """The part of RabbitMQ's GET /api/overview a backlog check reads."""
    return {
        "management_version": "3.12.13",
        "cluster_name": "rabbit@ctl1",
        "object_totals": {"queues": 42, "consumers": 40, "connections": 12, "channels": 30},
        "queue_totals": {
            "messages": ready + 3,
            "messages_details": {"rate": 0.0},
            "messages_ready": ready,
            "messages_ready_details": {"rate": 0.0},
            "messages_unacknowledged": 3,
            "messages_unacknowledged_details": {"rate": 0.0},
        },
    }


class HTTPStandIn:
    """mode: ok | error (500 everywhere) | alarm (RabbitMQ alarms set, APIs
    fine) | slow (answers after `delay` seconds) | garbage (200 with a body no
    check can read). `ready` is RabbitMQ's messages_ready total and
    `backends_down` the number of HAProxy backends with no server up."""

    def __init__(self, delay: float = 0.0):
        self.mode, self.delay = "ok", delay
        self.ready, self.backends_down = 0, 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                owner.answer(self)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, req) -> None:
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "error":
            status, body, kind = 500, "internal error", "text/plain"
        elif self.mode == "garbage":
            status, body, kind = 200, "<html>maintenance</html>", "text/html"
        elif req.path.startswith("/api/nodes"):
            alarm = self.mode == "alarm"
            node = {"name": "rabbit@ctl1", "mem_alarm": alarm, "disk_free_alarm": alarm}
            status, body, kind = 200, json.dumps([node]), "application/json"
        elif req.path.startswith("/api/overview"):
            status, kind = 200, "application/json"
            body = json.dumps(_rabbitmq_overview(self.ready))
        elif req.path.endswith(";csv"):
            status, body, kind = 200, _haproxy_csv(self.backends_down), "text/plain"
        else:
            status, kind = 300, "application/json"
            body = json.dumps({"versions": {"values": [{"id": "v1", "status": "CURRENT"}]}})
        data = body.encode()
        req.send_response(status)
        req.send_header("Content-Type", kind)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TCPStandIn:
    """Accepts connections; answers memcached's `stats` (or garbage when failing)."""

    def __init__(self):
        self.mode = "ok"
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline()
                if line.startswith(b"stats"):
                    reply = b"STAT pid 42\r\nEND\r\n" if owner.mode == "ok" else b"ERROR\r\n"
                    self.wfile.write(reply)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class OpenStackCLI:
    """An `openstack` on PATH that prints the file `out` or, when `fail` is set,
    an error on stderr and exits 1 (as the real CLI does when Keystone is down)."""

    def __init__(self, workdir: Path):
        self.bin = workdir / "fake-bin"
        self.bin.mkdir()
        self.out = workdir / "openstack.out"
        self.fail = workdir / "openstack.fail"
        script = self.bin / "openstack"
        script.write_text(
            "#!/bin/sh\n"
            f'if [ -e "{self.fail}" ]; then echo "Failed to discover auth URL" >&2; exit 1; fi\n'
            f'cat "{self.out}"\n',
            encoding="utf-8",
        )
        script.chmod(0o755)
        self.answer([])

    def answer(self, lines: list[str], fail: bool = False) -> None:
        self.out.write_text("".join(f"{ln}\n" for ln in lines), encoding="utf-8")
        if fail:
            self.fail.touch()
        elif self.fail.exists():
            self.fail.unlink()

    def env(self) -> dict:
        return {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"}


class Daemon:
    """A sleeping process whose argv reads `/usr/bin/<name> 300`, returned once
    the process table shows it so (a check run earlier would not see it)."""

    def __init__(self, name: str, timeout: float = 30.0):
        self.proc = subprocess.Popen(
            ["/bin/bash", "-c", f'exec -a "/usr/bin/{name}" sleep 300'],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wanted = f"/usr/bin/{name}\x00300\x00".encode()
        cmdline = Path(f"/proc/{self.proc.pid}/cmdline")
        deadline = time.monotonic() + timeout
        while True:
            try:
                if cmdline.read_bytes() == wanted:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise OSError(f"stand-in process {name} did not start")
            time.sleep(0.002)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()

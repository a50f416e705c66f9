"""Stand-in endpoints on 127.0.0.1 for running rendered check commands.

Each stand-in answers like the real service as far as a check reads it, and
can be switched to a failing answer or stopped:
    HTTP   OpenStack API roots, placement's resource providers (their
           inventories and usages), RabbitMQ's /api/nodes, /api/queues and
           /api/overview, HAProxy's `;csv` stats
    TCP    AMQP (accepts), memcached (answers `stats`)
    NTP    a time server whose clock can be set off by some seconds
    CLI    an `openstack` executable printing canned `-f value` output (and a
           token and the placement catalog entry, pointing at the HTTP stand-in)
(the daemons process checks look for are started beside each check in a PID
namespace of its own: conformance/isolated.py)
They stand in for the services, never for the plugins: the commands under
test are the real monitoring-plugins.
"""

from __future__ import annotations

import http.server
import json
import os
import socketserver
import struct
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


def _rabbitmq_queues(ready: int, orphans: int) -> list[dict]:
    """GET /api/queues?columns=...: `ready` messages on a queue with
    consumers, `orphans` queues holding messages with none, and a
    notification queue nobody reads (which checks must ignore)."""
    queues = [
        {"name": "conductor", "vhost": "/", "messages_ready": ready, "consumers": 2},
        {"name": "scheduler", "vhost": "/", "messages_ready": ready // 2, "consumers": 1},
        {"name": "notifications.info", "vhost": "/", "messages_ready": 50000, "consumers": 0},
        {"name": "reply_empty", "vhost": "/", "messages_ready": 0, "consumers": 0},
    ]
    queues += [
        {"name": f"reply_{i}", "vhost": "/", "messages_ready": 3, "consumers": 0}
        for i in range(orphans)
    ]
    return queues


# Two compute nodes as placement reports them (GET /resource_providers/{uuid}/
# inventories and /usages): 8 VCPU at allocation_ratio 4 and 16 GiB, 512 MiB
# reserved, at 1.5 each, so what can be scheduled is 64 VCPU and 47,616 MiB.
# The usages per mode: `healthy` allocates 40 VCPU, 62 % of that (and 250 %
# of the physical 16: a check that ignores the ratio pages), `warning` 84 %,
# `critical` 93 % and more.
PLACEMENT = "/placement-endpoint"  # below the stand-in, apart from the API roots it serves
PROVIDERS = ("4e8e5957-649f-477b-9e5b-f1f75b21c03c", "2a1b57cd-9d3e-4b53-8b2f-3b1d0a6f2a77")
INVENTORY = {
    "VCPU": {"total": 8, "reserved": 0, "allocation_ratio": 4.0, "min_unit": 1, "max_unit": 8,
             "step_size": 1},
    "MEMORY_MB": {"total": 16384, "reserved": 512, "allocation_ratio": 1.5, "min_unit": 1,
                  "max_unit": 16384, "step_size": 1},
}  # fmt: skip
USAGES = {
    "healthy": {"VCPU": 20, "MEMORY_MB": 10000},
    "warning": {"VCPU": 27, "MEMORY_MB": 20000},
    "critical": {"VCPU": 30, "MEMORY_MB": 22500},
}


def _placement(path: str, mode: str):
    """(status, body) of placement's API for `path` below the endpoint."""
    if path == "/resource_providers":
        rps = [{"uuid": u, "name": f"cmp{i + 1}", "generation": 3} for i, u in enumerate(PROVIDERS)]
        return 200, {"resource_providers": rps}
    for uuid in PROVIDERS:
        if path == f"/resource_providers/{uuid}/inventories":
            return 200, {"resource_provider_generation": 3, "inventories": INVENTORY}
        if path == f"/resource_providers/{uuid}/usages":
            return 200, {"resource_provider_generation": 3, "usages": USAGES[mode]}
    return 404, {"errors": [{"status": 404, "title": "Not Found"}]}


def _serve(server_class, handler):
    """A threaded server on a kernel-chosen loopback port, serving in the
    background: (server, port)."""
    server = server_class(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _stop(server) -> None:
    server.shutdown()
    server.server_close()


class HTTPStandIn:
    """mode: ok | error (500 everywhere) | alarm (RabbitMQ alarms set, APIs
    fine) | partition (a RabbitMQ node reports one) | slow (answers after
    `delay` seconds) | garbage (200 with a body no check can read). `ready`
    is the backlog of RabbitMQ's fullest consumed queue, `orphans` the
    queues with messages and no consumer, `nodes` the running RabbitMQ
    nodes and `backends_down` the HAProxy backends with no server up."""

    def __init__(self, delay: float = 0.0, nodes: int = 1):
        self.mode, self.delay = "ok", delay
        self.ready, self.backends_down, self.orphans, self.nodes = 0, 0, 0, nodes
        self.placement = "healthy"
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
        elif req.path.startswith(PLACEMENT + "/"):
            code, doc = _placement(req.path[len(PLACEMENT) :], self.placement)
            status, body, kind = code, json.dumps(doc), "application/json"
        elif req.path.startswith("/api/nodes"):
            alarm = self.mode == "alarm"
            nodes = [
                {"name": f"rabbit@ctl{i + 1}", "running": True, "partitions": [],
                 "mem_alarm": alarm, "disk_free_alarm": alarm}
                for i in range(self.nodes)
            ]  # fmt: skip
            if self.mode == "partition" and nodes:
                nodes[0]["partitions"] = ["rabbit@ctl2"]
            status, body, kind = 200, json.dumps(nodes), "application/json"
        elif req.path.startswith("/api/queues"):
            status, kind = 200, "application/json"
            body = json.dumps(_rabbitmq_queues(self.ready, self.orphans))
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

        self.server, self.port = _serve(socketserver.ThreadingTCPServer, Handler)

    def stop(self) -> None:
        _stop(self.server)


_NTP_EPOCH = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)


def _ntp_stamp(t: float) -> bytes:
    return struct.pack("!II", int(t) + _NTP_EPOCH, int((t % 1) * 2**32))


class NTPStandIn:
    """A stratum-2 NTP server on UDP whose clock is `offset` seconds off; while
    `answering` is False it reads requests and answers none (a server that
    stopped answering, or a network that drops its packets)."""

    def __init__(self):
        self.offset = 0.0
        self.answering = True
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                if len(data) < 48 or not owner.answering:
                    return
                now = time.time() + owner.offset
                reply = (
                    bytes([0x24, 2, data[2], 0xEC])  # no leap, v4, server; stratum 2
                    + struct.pack("!II", 0, 0)  # root delay, dispersion
                    + b"LOCL"
                    + _ntp_stamp(now)  # reference
                    + data[40:48]  # originate = the client's transmit
                    + _ntp_stamp(now)  # receive
                    + _ntp_stamp(now)  # transmit
                )
                sock.sendto(reply, self.client_address)

        self.server, self.port = _serve(socketserver.ThreadingUDPServer, Handler)

    def stop(self) -> None:
        _stop(self.server)


class OpenStackCLI:
    """An `openstack` on PATH that prints the file `out` or, when `fail` is set,
    an error on stderr and exits 1 (as the real CLI does when Keystone is down).
    `token issue` prints a token and `catalog show placement -f json` the
    catalog entry of `placement_url` (as OSC 6 prints them)."""

    def __init__(self, workdir: Path, placement_url: str = ""):
        self.bin = workdir / "fake-bin"
        self.bin.mkdir()
        self.out = workdir / "openstack.out"
        self.fail = workdir / "openstack.fail"
        catalog = workdir / "placement-catalog.json"
        catalog.write_text(json.dumps({
            "id": "3b2a6e0d8f6e4d5b9c1e2f3a4b5c6d7e", "name": "placement", "type": "placement",
            "endpoints": [{"id": "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "interface": "public",
                           "region": "RegionOne", "region_id": "RegionOne", "url": placement_url}],
        }), encoding="utf-8")  # fmt: skip
        script = self.bin / "openstack"
        script.write_text(
            "#!/bin/sh\n"
            f'if [ -e "{self.fail}" ]; then echo "Failed to discover auth URL" >&2; exit 1; fi\n'
            'case "$*" in\n'
            '  "token issue"*) echo gAAAAABstandintoken ;;\n'
            f'  "catalog show placement"*) cat "{catalog}" ;;\n'
            f'  *) cat "{self.out}" ;;\n'
            "esac\n",
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

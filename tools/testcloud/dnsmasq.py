"""dnsmasq (Debian's dnsmasq-base) as neutron's DHCP agent runs it in Kolla:
its own log file (`log-facility=`, as kolla-ansible's dnsmasq.conf sets
/var/log/kolla/neutron/dnsmasq.log) with every query logged, answering DNS
on a private UDP port of 127.0.0.1 only (no DHCP: that needs an interface
of its own). One name is configured (`corpus.example` and below, 10.0.0.7);
no upstream, so any other name is refused.

Logs: `dnsmasq`. Info: `port` (UDP). `query(name)` sends one A query and
returns the answer's RCODE.
"""

from __future__ import annotations

import random
import socket
import struct
from pathlib import Path

from .daemon import HOST, Daemon


def free_dns_port() -> int:
    """A port free for UDP and for TCP (dnsmasq listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
                return port


class Dnsmasq(Daemon):
    kind = "dnsmasq"
    start_timeout = 30.0

    def prepare(self) -> None:
        self.ports["dns"] = free_dns_port()
        self.info["port"] = self.ports["dns"]
        self.log("dnsmasq", "dnsmasq.log")

    def launch(self) -> None:
        argv = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--user=root"]
        argv += [f"--port={self.ports['dns']}", f"--listen-address={HOST}", "--bind-interfaces"]
        argv += [
            "--no-resolv",
            "--no-hosts",
            "--log-queries",
            f"--log-facility={self.logs['dnsmasq']}",
        ]
        argv += [f"--pid-file={self.path('dnsmasq.pid')}", "--address=/corpus.example/10.0.0.7"]
        self.spawn(argv, "dnsmasq")

    def ready(self) -> bool:
        log = Path(self.logs["dnsmasq"])
        return log.exists() and b"started, version" in log.read_bytes()

    def ports_still_free(self) -> bool:
        return False  # a failed start: always try again on a new port

    def query(self, name: str, qtype: int = 1) -> int:
        ident = random.randrange(1 << 16)
        labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
        packet = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\0"
        packet += struct.pack(">HH", qtype, 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(10)
            s.sendto(packet, (HOST, self.ports["dns"]))
            answer = s.recv(4096)
        return answer[3] & 0x0F

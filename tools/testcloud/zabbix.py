"""Zabbix 6.0's server and agent 2 (Debian's zabbix-server-pgsql and
zabbix-agent2), on private 127.0.0.1 ports, for tests where Zabbix itself
runs a template's items and triggers.

    ZabbixServer  options db_port (PostgreSQL on 127.0.0.1 holding Zabbix's
                  schema; user zabbix, trust auth, database zabbix, e.g.
                  opsbundle.conformance.zabbix_import.Zabbix's). Its
                  configuration cache is reloaded every second
                  (CacheUpdateFrequency=1), so a host made through the API is
                  polled at once; runs as root (AllowRoot=1), sockets, PID
                  and temp files in its own folder.
    ZabbixAgent2  option hostname (the host name the server knows it by).
                  Passive checks from 127.0.0.1 only, no active checks; its
                  control and plugin sockets in its own folder (the defaults
                  are in /tmp, shared by every agent on the machine).

Logs: `server` / `agent`. Info: `address` (host:port). ZabbixAgent2.get(key)
asks the agent one passive item the way the server does.
"""

from __future__ import annotations

import random
import socket
import struct

from . import probes
from .daemon import HOST, Daemon, DaemonError

HEADER = b"ZBXD\x01"
# Zabbix takes ListenPort only in 1024-32767, below the kernel's ephemeral
# range (32768-60999 on Debian): pick a free one there ourselves.
LOW_PORTS = (20000, 32767)


def low_port() -> int:
    for _ in range(200):
        port = random.randint(*LOW_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise DaemonError(f"no free port in {LOW_PORTS[0]}-{LOW_PORTS[1]}")


def _config(lines: dict) -> str:
    return "".join(f"{k}={v}\n" for k, v in lines.items())


class ZabbixServer(Daemon):
    kind = "zabbix-server"
    start_timeout = 90.0

    def prepare(self) -> None:
        if not self.options.get("db_port"):
            raise DaemonError("zabbix-server: option db_port is required")
        self.ports["trapper"] = low_port()
        self.info["address"] = f"{HOST}:{self.ports['trapper']}"
        self.log("server", "zabbix_server.log")
        run = self.folder("run")
        settings = {
            "ListenIP": HOST,
            "ListenPort": self.ports["trapper"],
            "DBHost": HOST,
            "DBPort": self.options["db_port"],
            "DBName": self.options.get("db_name", "zabbix"),
            "DBUser": self.options.get("db_user", "zabbix"),
            "LogType": "file",
            "LogFile": self.logs["server"],
            "LogFileSize": 0,
            "PidFile": run / "zabbix_server.pid",
            "SocketDir": run,
            "TmpDir": self.folder("tmp"),
            "AlertScriptsPath": self.folder("alertscripts"),
            "ExternalScripts": self.folder("externalscripts"),
            "AllowRoot": 1,
            "CacheUpdateFrequency": 1,
            "HousekeepingFrequency": 0,
            "Timeout": 10,
            "StartPollers": 3,
            "StartHTTPPollers": 2,
            "StartPreprocessors": 2,
            "StartPollersUnreachable": 1,
            "StartTrappers": 2,
            "StartPingers": 1,
            "StartDiscoverers": 0,
            "StartDBSyncers": 2,
            "StartAlerters": 1,
            "StartLLDProcessors": 1,
            "StartHistoryPollers": 1,
        }
        self.path("zabbix_server.conf").write_text(_config(settings))

    def launch(self) -> None:
        argv = ["zabbix_server", "-f", "-c", str(self.workdir / "zabbix_server.conf")]
        self.spawn(argv, "zabbix_server")

    def ready(self) -> bool:
        return probes.tcp_accepts(HOST, self.ports["trapper"])


class ZabbixAgent2(Daemon):
    kind = "zabbix-agent2"
    start_timeout = 60.0

    def prepare(self) -> None:
        self.ports["agent"] = low_port()
        self.info["address"] = f"{HOST}:{self.ports['agent']}"
        self.log("agent", "zabbix_agent2.log")
        run = self.folder("run")
        settings = {
            "Server": HOST,
            "ListenIP": HOST,
            "ListenPort": self.ports["agent"],
            "Hostname": self.options.get("hostname", "testcloud"),
            "LogType": "file",
            "LogFile": self.logs["agent"],
            "LogFileSize": 0,
            "PidFile": run / "zabbix_agent2.pid",
            "ControlSocket": run / "agent.sock",
            "PluginSocket": run / "agent.plugin.sock",
            "Timeout": 10,
        }
        self.path("zabbix_agent2.conf").write_text(_config(settings))

    def launch(self) -> None:
        argv = ["zabbix_agent2", "-f", "-c", str(self.workdir / "zabbix_agent2.conf")]
        self.spawn(argv, "zabbix_agent2")

    def ready(self) -> bool:
        return self.get("agent.ping") == "1"

    def get(self, key: str) -> str:
        """One passive check: the value, or ZBX_NOTSUPPORTED plus the reason."""
        data = key.encode()
        with socket.create_connection((HOST, self.ports["agent"]), timeout=15) as sock:
            sock.sendall(HEADER + struct.pack("<Q", len(data)) + data)
            answer = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        if not answer.startswith(HEADER) or len(answer) < 13:
            raise DaemonError(f"zabbix-agent2: not a Zabbix answer: {answer[:40]!r}")
        return answer[13:].decode(errors="replace").replace("\x00", " ")

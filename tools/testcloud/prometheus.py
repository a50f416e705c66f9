"""Prometheus 2.42 and Alertmanager 0.25 (Debian's), each on a private port
with its own data directory, configured by files the caller rendered (the
monitoring bundle's prometheus.yml and alertmanager.yml).

Options (both): config  the configuration file to run with.
Prometheus sends alerts again every second (`--rules.alert.resend-delay=1s`):
with the default (1 m) an alert that fires before the Alertmanager target is
discovered reaches it a minute late. Alertmanager gossips with no one
(`--cluster.listen-address=` empty: no cluster port on 0.0.0.0).

Logs: `prometheus`, `alertmanager`. Info: `url`. Helpers: `api(path)` (the
decoded JSON answer of a GET), `alerts()` (Prometheus's /api/v1/alerts).
"""

from __future__ import annotations

import json
import urllib.parse

from . import probes
from .binaries import find
from .daemon import HOST, Daemon, DaemonError


class _HTTPDaemon(Daemon):
    program = ""
    start_timeout = 90.0

    def prepare(self) -> None:
        if not self.options.get("config"):
            raise DaemonError(f"{self.kind}: no config file given")
        self.port("web")
        self.info["url"] = f"http://{HOST}:{self.ports['web']}"
        self.log(self.kind, f"{self.kind}.log")
        self.folder("data")

    def ready(self) -> bool:
        return probes.http_status(self.info["url"] + "/-/ready")

    def api(self, path: str, **params) -> dict:
        query = ("?" + urllib.parse.urlencode(params, doseq=True)) if params else ""
        status, body = probes.http_request(self.info["url"] + path + query)
        if status != 200:
            raise DaemonError(f"{self.kind} {path}: HTTP {status}: {body[:300]!r}")
        return json.loads(body)


class Prometheus(_HTTPDaemon):
    kind = "prometheus"

    def launch(self) -> None:
        argv = [
            find("prometheus"),
            f"--config.file={self.options['config']}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address={HOST}:{self.ports['web']}",
            "--rules.alert.resend-delay=1s",
            "--web.enable-lifecycle",
        ]
        self.spawn(argv, "prometheus", log=self.logs["prometheus"])

    def alerts(self) -> list[dict]:
        return self.api("/api/v1/alerts")["data"]["alerts"]

    def targets(self) -> list[dict]:
        return self.api("/api/v1/targets")["data"]["activeTargets"]

    def query(self, expr: str) -> list[dict]:
        return self.api("/api/v1/query", query=expr)["data"]["result"]


class Alertmanager(_HTTPDaemon):
    kind = "alertmanager"

    def launch(self) -> None:
        argv = [
            find("prometheus-alertmanager"),
            f"--config.file={self.options['config']}",
            f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address={HOST}:{self.ports['web']}",
            "--cluster.listen-address=",
        ]
        self.spawn(argv, "alertmanager", log=self.logs["alertmanager"])

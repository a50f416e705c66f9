"""Debian's Prometheus exporters, each on a private port:

    NodeExporter     prometheus-node-exporter (default collectors: file systems,
                     timex, ...; no systemd here, so no unit states)
    BlackboxExporter prometheus-blackbox-exporter; option config (the modules,
                     e.g. the monitoring bundle's blackbox.yml)
    MysqldExporter   prometheus-mysqld-exporter; option my_cnf (the [client]
                     section it logs in with, e.g. the bundle's
                     mysqld_exporter.cnf)

Logs: one each, by kind. Info: `url` (the /metrics URL), `address` (host:port,
what a scrape config or a blackbox `__address__` takes).
"""

from __future__ import annotations

from . import probes
from .binaries import find
from .daemon import HOST, Daemon, DaemonError


class _Exporter(Daemon):
    program = ""
    needs: tuple[str, ...] = ()  # options the exporter cannot run without
    start_timeout = 60.0

    def prepare(self) -> None:
        for option in self.needs:
            if not self.options.get(option):
                raise DaemonError(f"{self.kind}: option {option} is required")
        self.port("web")
        self.info["address"] = f"{HOST}:{self.ports['web']}"
        self.info["url"] = f"http://{self.info['address']}/metrics"
        self.log(self.kind, f"{self.kind}.log")

    def args(self) -> list[str]:
        return []

    def launch(self) -> None:
        argv = [find(self.program), f"--web.listen-address={self.info['address']}", *self.args()]
        self.spawn(argv, self.kind, log=self.logs[self.kind])

    def ready(self) -> bool:
        return probes.http_status(self.info["url"])

    def metrics(self) -> str:
        status, body = probes.http_request(self.info["url"])
        if status != 200:
            raise DaemonError(f"{self.kind}: /metrics answered {status}")
        return body.decode(errors="replace")


class NodeExporter(_Exporter):
    kind = "node-exporter"
    program = "prometheus-node-exporter"

    def args(self) -> list[str]:
        # the textfile collector would read /var/lib/prometheus: keep to ours
        return ["--no-collector.textfile"]


class BlackboxExporter(_Exporter):
    kind = "blackbox-exporter"
    program = "prometheus-blackbox-exporter"
    needs = ("config",)

    def args(self) -> list[str]:
        return [f"--config.file={self.options['config']}"]


class MysqldExporter(_Exporter):
    kind = "mysqld-exporter"
    program = "prometheus-mysqld-exporter"
    needs = ("my_cnf",)

    def args(self) -> list[str]:
        return [f"--config.my-cnf={self.options['my_cnf']}"]

    def ready(self) -> bool:
        # it answers /metrics at once; mysql_up says whether it could log in
        return "\nmysql_up " in self.metrics()

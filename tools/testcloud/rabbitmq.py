"""RabbitMQ (Debian's rabbitmq-server 3.10) with the management and
prometheus plugins, its own epmd, node name, cookie and ports.

Started as `/usr/lib/rabbitmq/bin/rabbitmq-server` (the /usr/sbin wrapper
re-executes as the rabbitmq user); every path it would take from /etc or /var
comes from the environment instead. epmd is started first as a process of our
own on a private port (Erlang reuses a running epmd), so it is stopped by its
PID like the node.

Options: json_log=True adds the JSON twin: the same events as the text log,
formatted by RabbitMQ itself (`log.console.formatter = json`) on stdout.
stats_interval_ms sets `collect_statistics_interval` (how often queue and
node statistics, which the management API and the prometheus plugin's
per-queue metrics read, are refreshed; RabbitMQ's default is 5000).
Logs: `rabbit` (the node's text log), `json` (with json_log; its lines that
start with `{` are the JSON records: the boot banner is plain text).
Info: `user`/`password` (administrator), `node`, `amqp_url`, `transport_url`
(oslo.messaging's), `management_url`, `prometheus_url` (`/metrics`).
"""

from __future__ import annotations

import json
import os
import shutil

from . import probes
from .daemon import HOST, Daemon, password, run, token

SCRIPTS = "/usr/lib/rabbitmq/bin"
PLUGINS = ("rabbitmq_management", "rabbitmq_prometheus")


class RabbitMQ(Daemon):
    kind = "rabbitmq"
    start_timeout = 240.0
    stop_timeout = 60.0

    def prepare(self) -> None:
        if "user" not in self.info:
            self.info.update(user="opsbundles", password=password())
            self.info["node"] = f"rabbit-{token()}@localhost"
        for name in ("amqp", "dist", "epmd", "management", "prometheus"):
            self.port(name)
        self.log("rabbit", "rabbit.log")
        if self.options.get("json_log"):
            self.log("json", "rabbit-json.log")
        home = self.path("home", ".erlang.cookie").parent
        cookie = home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(token(20))
            cookie.chmod(0o400)
        # the effect of `rabbitmq-plugins enable --offline ...`, without its VM start
        self.path("enabled_plugins").write_text(f"[{','.join(PLUGINS)}].\n")
        self.path("rabbitmq-env.conf").write_text("")
        config = self.path("rabbitmq.conf")
        config.write_text(self.config())
        config.chmod(0o600)

    def config(self) -> str:
        lines = [
            f"listeners.tcp.default = {HOST}:{self.ports['amqp']}",
            f"management.tcp.ip = {HOST}",
            f"management.tcp.port = {self.ports['management']}",
            f"prometheus.tcp.ip = {HOST}",
            f"prometheus.tcp.port = {self.ports['prometheus']}",
            f"default_user = {self.info['user']}",
            f"default_pass = {self.info['password']}",
            "default_user_tags.administrator = true",
            "default_permissions.configure = .*",
            "default_permissions.read = .*",
            "default_permissions.write = .*",
            "loopback_users = none",
            f"log.file = {self.logs['rabbit']}",
            "log.file.level = info",
            "log.file.formatter = plaintext",
        ]
        if self.options.get("stats_interval_ms"):
            lines.append(f"collect_statistics_interval = {int(self.options['stats_interval_ms'])}")
        if "json" in self.logs:
            lines += [
                "log.console = true",
                "log.console.level = info",
                "log.console.formatter = json",
                "log.console.use_colors = off",
            ]
        return "\n".join(lines) + "\n"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self.workdir / "home"),
            ERL_EPMD_PORT=str(self.ports["epmd"]),
            ERL_EPMD_ADDRESS=HOST,
            RABBITMQ_CONF_ENV_FILE=str(self.workdir / "rabbitmq-env.conf"),
            RABBITMQ_NODENAME=self.info["node"],
            RABBITMQ_NODE_IP_ADDRESS=HOST,
            RABBITMQ_NODE_PORT=str(self.ports["amqp"]),
            RABBITMQ_DIST_PORT=str(self.ports["dist"]),
            RABBITMQ_CONFIG_FILE=str(self.workdir / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.workdir / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.workdir / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.workdir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.workdir / "log"),
            RABBITMQ_PID_FILE=str(self.workdir / "run" / "rabbitmq.pid"),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    def launch(self) -> None:
        epmd = shutil.which("epmd") or "/usr/bin/epmd"
        self.spawn([epmd, "-port", str(self.ports["epmd"]), "-address", HOST], "epmd")
        console = self.logs.get("json")
        self.spawn([f"{SCRIPTS}/rabbitmq-server"], "rabbitmq", env=self.env(), log=console)
        self.info.update(
            amqp_url=(
                f"amqp://{self.info['user']}:{self.info['password']}@{HOST}:{self.ports['amqp']}//"
            ),
            management_url=f"http://{HOST}:{self.ports['management']}",
            prometheus_url=f"http://{HOST}:{self.ports['prometheus']}/metrics",
            # oslo.messaging's: the `rabbit` driver (an amqp:// URL picks AMQP 1.0)
            transport_url=(
                f"rabbit://{self.info['user']}:{self.info['password']}@{HOST}:{self.ports['amqp']}/"
            ),
        )

    def ready(self) -> bool:
        status, body = self.api("/api/overview")
        return (
            status == 200
            and bool(json.loads(body).get("listeners"))
            and probes.tcp_accepts(HOST, self.ports["amqp"])
        )

    # ----- for users of the daemon

    def api(self, path: str, method: str = "GET", body: dict | None = None):
        """(status, body) of a management API request as the administrator."""
        return probes.http_request(
            self.info["management_url"] + path,
            user=self.info["user"],
            password=self.info["password"],
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json"} if body is not None else None,
        )

    def ctl(self, *args: str, timeout: float = 120) -> str:
        """rabbitmqctl against this node (same cookie, epmd and node name)."""
        argv = [f"{SCRIPTS}/rabbitmqctl", "-n", self.info["node"], *args]
        return run(argv, "rabbitmqctl", timeout=timeout, env=self.env())

"""HAProxy 2.6 (Debian's) in front of the cloud's APIs, with its built-in
Prometheus exporter and stats page, its access log in a file.

Options:
    routes     {name: [[server, host, port], ...]}: one HTTP frontend per name
               (a private port, `ports[name]`) balancing to its servers, health
               checked every 2 s
    json_log   True adds a JSON twin of the access log
    syslog     a host syslog's info (rsyslog.HostSyslog): the text lines go
               there too, as to Debian's /dev/log (RFC 3164), and, as RFC 5424
               with httplog's values as structured data, to its `sd_socket`,
               and over UDP to its `udp_port` as Kolla's haproxy_main.cfg
               sends to Kolla's fluentd (`log <address>:<port> local1`)

HAProxy has one log-format per proxy, so the twin is a second hop inside the
same process: frontend <name> (the standard `option httplog` text line) sends
each connection over a unix socket, with the PROXY protocol, to frontend
<name>_json_<server>, which logs the JSON line and goes on to that same real
server (the health checks then live on backend <name>_json). Both lines are HAProxy's own.
The JSON line carries the text hop's accept date (passed in a request header
that the JSON hop removes) and spells the frontend and backend names as the
text line does; the timers and connection counters are the JSON hop's own and
may differ by a millisecond or a connection. The health checks run on both
hops (the text hop's go through the JSON hop, so a dead server shows on both).

Logs: `access` (text, stdout), `json` (the twin, stderr: global `quiet` keeps
HAProxy's own start-up chatter out of it), `haproxy` (the process's other
output, when there is any). Info: `metrics_url`, `stats_url` (CSV: add
`;csv`), `urls` ({name: "http://127.0.0.1:PORT"}).
"""

from __future__ import annotations

from pathlib import Path

from . import probes
from .daemon import HOST, Daemon

TWIN_HEADER = "X-Testcloud-Accept-Date"
HTTPLOG_JSON = (
    '{"client_ip":"%ci","client_port":%cp,"request_date":"%[var(txn.accept_date)]",'
    '"frontend_name":"FRONTEND","backend_name":"BACKEND","server_name":"%s",'
    '"time_request":%TR,"time_queue":%Tw,"time_connect":%Tc,"time_response":%Tr,'
    '"time_active":%Ta,"status_code":%ST,"bytes_read":%B,'
    '"captured_request_cookie":"%CC","captured_response_cookie":"%CS",'
    '"termination_state":"%tsc","actconn":%ac,"feconn":%fc,"beconn":%bc,"srv_conn":%sc,'
    '"retries":%rc,"srv_queue":%sq,"backend_queue":%bq,"http_request":%{+Q}r}'
)


# httplog's values as RFC 5424 structured data beside the text line (the host
# syslog's mmpstrucdata makes it JSON): the same variables of the same log event
HTTPLOG_SD = (
    '[httplog@1 client_ip="%ci" client_port="%cp" accept_date="%tr" frontend="%ft"'
    ' backend="%b" server="%s" t_request="%TR" t_wait="%Tw" t_connect="%Tc"'
    ' t_response="%Tr" t_active="%Ta" status="%ST" bytes="%B" termination="%tsc"'
    " request=%{+Q}r]"
)


class HAProxy(Daemon):
    kind = "haproxy"
    start_timeout = 30.0

    def prepare(self) -> None:
        self.port("stats")
        for name in self.routes():
            self.port(name)
        self.log("access", "access.log")
        if self.options.get("json_log"):
            self.log("json", "access-json.log")
        self.path("haproxy.cfg").write_text(self.config())
        self.info.update(
            metrics_url=f"http://{HOST}:{self.ports['stats']}/metrics",
            stats_url=f"http://{HOST}:{self.ports['stats']}/stats",
            urls={name: f"http://{HOST}:{self.ports[name]}" for name in self.routes()},
        )

    def routes(self) -> dict[str, list]:
        return dict(self.options.get("routes") or {})

    def config(self) -> str:
        out = [
            "global",
            "    log stdout format raw local0",
            *self.syslog(),
            "    maxconn 512",
            "    quiet",
            f"    stats socket {self.path('run', 'admin.sock')} mode 600 level admin",
            "",
            "defaults",
            "    mode http",
            "    option httplog",
            "    option httpchk GET /",
            "    http-check expect rstatus ^[23]",
            "    timeout connect 5s",
            # a health check's answer may take this long (without it, `inter`,
            # 2 s, bounds connect and answer): on a loaded CI machine three
            # slow answers in a row marked a live server DOWN (a 503)
            "    timeout check 10s",
            "    timeout client 120s",
            "    timeout server 120s",
            "",
            "frontend stats",
            f"    bind {HOST}:{self.ports['stats']}",
            "    no log",
            "    http-request use-service prometheus-exporter if { path /metrics }",
            "    stats enable",
            "    stats uri /stats",
            "    stats refresh 10s",
            "",
        ]
        twin = "json" in self.logs
        for name, servers in self.routes().items():
            out += [f"frontend {name}", f"    bind {HOST}:{self.ports[name]}", "    log global"]
            if self.options.get("syslog"):  # the same request's values, as RFC 5424 SD
                out.append(f"    log-format-sd '{HTTPLOG_SD}'")
            if twin:  # the text hop's accept date, for the JSON hop to log as its own
                out.append(f"    http-request set-header {TWIN_HEADER} %tr")
            out += [f"    default_backend {name}", "", f"backend {name}", "    log global"]
            for server, host, port in servers:
                target = (
                    f"unix@{self.socket(name, server)} send-proxy-v2" if twin else f"{host}:{port}"
                )
                out.append(f"    server {server} {target} check inter 2s")
            out.append("")
            if twin:
                out += self.twin(name, servers)
        return "\n".join(out)

    def syslog(self) -> list[str]:
        """The host syslog targets: RFC 3164 (HAProxy's default, what Debian's
        /dev/log and Kolla's fluentd receive) for the host's file, RFC 5424
        with httplog's values as structured data for the twin, and Kolla's
        own line (haproxy_main.cfg.j2: `log {{ syslog_server }}:{{
        syslog_udp_port }} {{ syslog_haproxy_facility }}`, local1) over UDP."""
        target = self.options.get("syslog")
        if not target:
            return []
        return [
            f"    log unix@{target['socket']} local0",
            f"    log unix@{target['sd_socket']} format rfc5424 local0",
            f"    log {HOST}:{target['udp_port']} local1",
        ]

    def socket(self, route: str, server: str) -> Path:
        return self.path("run", f"{route}-{server}.sock")

    def twin(self, name: str, servers: list) -> list[str]:
        """The JSON hop: one frontend per server (a unix socket from the text
        hop's server of that name), logging the JSON line, on to that same
        real server. The text hop's health checks arrive without the header
        and are not logged."""
        fmt = HTTPLOG_JSON.replace("FRONTEND", name).replace("BACKEND", name)
        from_text_hop = f"{{ req.hdr({TWIN_HEADER}) -m found }}"
        out = []
        for server, _, _ in servers:
            out += [
                f"frontend {name}_json_{server}",
                f"    bind unix@{self.socket(name, server)} accept-proxy",
                "    log stderr format raw local0",
                f"    log-format '{fmt}'",
                f"    http-request set-log-level silent unless {from_text_hop}",
                f"    http-request set-var(txn.accept_date) req.hdr({TWIN_HEADER})",
                f"    http-request del-header {TWIN_HEADER}",
                f"    default_backend {name}_json",
                "",
            ]
        out += [f"backend {name}_json", "    log global"]
        for server, _, _ in servers:
            out.append(f"    use-server {server} if {{ fe_name {name}_json_{server} }}")
        for server, host, port in servers:
            out.append(f"    server {server} {host}:{port} check inter 2s")
        return out + [""]

    def launch(self) -> None:
        argv = ["haproxy", "-f", str(self.workdir / "haproxy.cfg"), "-db"]
        self.spawn(argv, "haproxy", log=self.logs["access"], stderr=self.stderr())

    def stderr(self) -> Path:
        return Path(self.logs.get("json") or self.log("haproxy", "haproxy.log"))

    def ready(self) -> bool:
        # HAProxy binds every frontend before it serves any: once the exporter
        # answers, the frontends listen (probing them would log <BADREQ> lines)
        return self.servers_up()

    def servers_up(self) -> bool:
        """Whether the exporter answers and says every server of every
        backend is UP (a server its health checks marked DOWN gets no request)."""
        status, body = probes.http_request(self.info["metrics_url"])
        if status != 200:
            return False
        states = [
            line
            for line in body.decode(errors="replace").splitlines()
            if line.startswith("haproxy_server_status{") and line.endswith(" 1")
        ]
        return bool(states) and all('state="UP"' in line for line in states)

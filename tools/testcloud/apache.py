"""Apache 2.4 with mod_wsgi (Debian's apache2, libapache2-mod-wsgi-py3): the
way RDO serves OpenStack's WSGI APIs.

Runs in the foreground from a config of its own (own ServerRoot, PidFile,
Mutex, runtime dir and WSGI socket prefix, so nothing touches /etc/apache2 or
/run/apache2); the parent runs as root and its workers as `user` (default
www-data: Apache refuses root workers).

Options:
    apps       {url_prefix: wsgi_script}: one WSGIDaemonProcess each
    include    extra config files (a rendered httpd snippet) read after ours
    json_log   True adds a JSON twin of the access log: a second CustomLog
               line with the same fields, written by Apache for each request
    ready_path the URL path readiness polls (default /), accept: statuses
    user, group  the workers' account (www-data)
The workdir (and every folder above it) must be traversable by `user`.

Logs: `error`, `access` (Debian's `combined` format), `json` (with json_log).
Info: `url`.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import probes
from .daemon import HOST, Daemon

MODULES = "/usr/lib/apache2/modules"
LOAD = ("mpm_event", "authz_core", "wsgi")
COMBINED = r"%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""
COMBINED_JSON = (
    r"{\"remote_host\":\"%h\",\"remote_logname\":\"%l\",\"remote_user\":\"%u\","
    r"\"time\":\"%t\",\"request\":\"%r\",\"status\":%>s,\"bytes_sent\":%O,"
    r"\"referer\":\"%{Referer}i\",\"user_agent\":\"%{User-Agent}i\"}"
)


def group_name(prefix: str) -> str:
    """A WSGIDaemonProcess name from a URL prefix: / -> root, /identity -> identity."""
    return re.sub(r"[^A-Za-z0-9_]+", "_", prefix.strip("/")) or "root"


class Apache(Daemon):
    kind = "apache"
    start_timeout = 60.0

    def prepare(self) -> None:
        self.workdir.chmod(0o755)
        self.port("http")
        self.info["url"] = f"http://{HOST}:{self.ports['http']}"
        self.log("error", "error.log")
        self.log("access", "access.log")
        if self.options.get("json_log"):
            self.log("json", "access-json.log")
        self.folder("run", mode=0o755)
        self.folder("log", mode=0o755)
        self.path("apache2.conf").write_text(self.config())

    def config(self) -> str:
        user = self.options.get("user", "www-data")
        group = self.options.get("group", user)
        run = self.workdir / "run"
        out = [f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in LOAD]
        out += [
            f'ServerRoot "{self.workdir}"',
            f"ServerName {HOST}",
            f"Listen {HOST}:{self.ports['http']}",
            f"PidFile {run / 'apache2.pid'}",
            f"Mutex file:{run} default",
            f"DefaultRuntimeDir {run}",
            f"User {user}",
            f"Group {group}",
            "Timeout 120",
            f"ErrorLog {self.logs['error']}",
            "LogLevel info",
            f'LogFormat "{COMBINED}" combined',
            f"CustomLog {self.logs['access']} combined",
            f"WSGISocketPrefix {run / 'wsgi'}",
            "<Directory />",
            "    Require all denied",
            "</Directory>",
        ]
        if "json" in self.logs:
            out += [f'LogFormat "{COMBINED_JSON}" json', f"CustomLog {self.logs['json']} json"]
        for prefix, script in (self.options.get("apps") or {}).items():
            name = group_name(prefix)
            folder = Path(script).parent
            out += [
                f"WSGIDaemonProcess {name} processes=1 threads=4 user={user} group={group}"
                f" display-name=%{{GROUP}}",
                f"WSGIScriptAlias {prefix} {script} process-group={name}"
                " application-group=%{GLOBAL}",
                f"<Directory {folder}>",
                "    Require all granted",
                "</Directory>",
            ]
        out += [f"Include {path}" for path in self.options.get("include") or ()]
        return "\n".join(out) + "\n"

    def launch(self) -> None:
        argv = ["apache2", "-f", str(self.workdir / "apache2.conf"), "-DFOREGROUND"]
        self.spawn(argv, "apache2")

    def ready(self) -> bool:
        url = self.info["url"] + self.options.get("ready_path", "/")
        return probes.http_status(url, accept=tuple(self.options.get("accept", (200,))))

"""uwsgi 2.0 (Debian's uwsgi-core + uwsgi-plugin-python3): the way Debian
serves OpenStack's WSGI APIs.

Options:
    wsgi_file  the WSGI script to serve (keystone-wsgi-public, placement-api...)
    ini        a uwsgi ini to start from (a package's own); the options below
               are added after it on the command line
    args       more command-line options, as a list
    uid, gid   the account the workers run as (root when not given)
    ready_path the URL path readiness polls (default /), accept: statuses
The HTTP socket is always one of ours (`--http11-socket 127.0.0.1:PORT`:
`--http-socket` resets the first POST after a restart); the master, the
stats server (`--stats-http`, JSON on `ports['stats']`) and --die-on-term
(SIGTERM stops, it does not reload) are always on.

Logs: `uwsgi` (its own and its per-request lines). Info: `url`, `stats_url`.
"""

from __future__ import annotations

from . import probes
from .daemon import HOST, Daemon


class Uwsgi(Daemon):
    kind = "uwsgi"
    start_timeout = 120.0

    def prepare(self) -> None:
        self.port("http")
        self.port("stats")
        self.info.update(
            url=f"http://{HOST}:{self.ports['http']}",
            stats_url=f"http://{HOST}:{self.ports['stats']}",
        )
        self.log("uwsgi", "uwsgi.log")

    def argv(self) -> list[str]:
        argv = ["uwsgi", "--plugin", "python3"]
        if self.options.get("ini"):
            argv += ["--ini", self.options["ini"]]
        if self.options.get("wsgi_file"):
            argv += ["--wsgi-file", self.options["wsgi_file"]]
        argv += [
            "--http11-socket",
            f"{HOST}:{self.ports['http']}",
            "--stats",
            f"{HOST}:{self.ports['stats']}",
            "--stats-http",
            "--master",
            "--die-on-term",
            "--need-app",
            "--pidfile",
            str(self.path("run", "uwsgi.pid")),
        ]
        for key in ("uid", "gid"):
            if self.options.get(key):
                argv += [f"--{key}", str(self.options[key])]
        return argv + list(self.options.get("args") or ())

    def launch(self) -> None:
        self.spawn(self.argv(), "uwsgi", log=self.logs["uwsgi"])

    def ready(self) -> bool:
        url = self.info["url"] + self.options.get("ready_path", "/")
        return probes.http_status(url, accept=tuple(self.options.get("accept", (200,))))

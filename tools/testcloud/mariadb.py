"""MariaDB (Debian's mariadb-server) with its own data directory.
`MariaDBSafe`: the same started through mysqld_safe, as Kolla's image starts
it, which writes lines of its own into the same error log.

Logs: `error` (the server's error log, what Kolla ships as mariadb.log) and,
with slow_log=True, `slow` (every statement: long_query_time 0).
Info: `socket`, `host`, `port`, `user`/`password` of an admin account that
works over TCP (root works over the socket only).
"""

from __future__ import annotations

import contextlib
import os
import signal

from .daemon import HOST, Daemon, password, run


def quote(value: str) -> str:
    """A SQL string literal (for names and passwords we generated ourselves)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class MariaDB(Daemon):
    kind = "mariadb"
    start_timeout = 90.0

    def prepare(self) -> None:
        data = self.workdir / "data"
        if not (data / "mysql").is_dir():
            data.mkdir(parents=True, exist_ok=True)
            run(
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={data}",
                    "--user=root",
                    "--auth-root-authentication-method=socket",
                    "--skip-test-db",
                    # its own temporary folder: not /tmp, which other tests clean
                    f"--tmpdir={self.folder('tmp')}",
                ],
                "mariadb-install-db",
                timeout=180,
            )
        self.info.update(socket=str(self.path("run", "mysqld.sock")), host=HOST)
        self.info["port"] = self.port("sql")
        self.log("error", "error.log")
        if self.options.get("slow_log"):
            self.log("slow", "slow.log")

    def launch(self) -> None:
        self.spawn(["mariadbd", *self.server_options()], "mariadbd")

    def server_options(self) -> list[str]:
        argv = [
            "--no-defaults",
            f"--datadir={self.workdir / 'data'}",
            f"--socket={self.info['socket']}",
            f"--port={self.ports['sql']}",
            f"--bind-address={HOST}",
            "--user=root",
            f"--pid-file={self.path('run', 'mysqld.pid')}",
            f"--log-error={self.logs['error']}",
            "--skip-name-resolve",
            f"--tmpdir={self.folder('tmp')}",
        ]
        if "slow" in self.logs:
            argv += ["--slow-query-log", f"--slow-query-log-file={self.logs['slow']}"]
            argv += ["--long-query-time=0"]
        return argv

    def ready(self) -> bool:
        return self.sql("SELECT 1", timeout=10).strip() == "1"

    def setup(self) -> None:
        if "user" not in self.info:
            self.info.update(user="opsbundles", password=password())
        self.grant(self.info["user"], self.info["password"], "*")

    # ----- for users of the daemon

    def sql(self, statement: str, database: str = "", timeout: float = 60) -> str:
        """Run SQL as root over the socket; tab-separated rows, no header."""
        argv = ["mariadb", "--no-defaults", f"--socket={self.info['socket']}", "-uroot"]
        argv += ["-N", "-B", "-e", statement]
        if database:
            argv.append(database)
        return run(argv, "mariadb", timeout=timeout)

    def grant(self, user: str, secret: str, database: str) -> None:
        """User `user`@127.0.0.1 with every privilege on `database` ('*' for all)."""
        target = "*.*" if database == "*" else f"`{database}`.*"
        account = f"{quote(user)}@'{HOST}'"
        self.sql(
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {quote(secret)};"
            f" ALTER USER {account} IDENTIFIED BY {quote(secret)};"
            f" GRANT ALL PRIVILEGES ON {target} TO {account}"
            + (" WITH GRANT OPTION;" if database == "*" else ";")
        )

    def monitor(self, user: str, secret: str) -> None:
        """A monitoring account `user`@127.0.0.1 with what mysqld_exporter
        and check_mysql need and no more: PROCESS, REPLICATION CLIENT, SLAVE
        MONITOR (MariaDB 10.5+ split it out) and SELECT."""
        account = f"{quote(user)}@'{HOST}'"
        self.sql(
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {quote(secret)};"
            f" ALTER USER {account} IDENTIFIED BY {quote(secret)};"
            f" GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.* TO {account};"
        )

    def database(self, name: str, user: str, secret: str) -> str:
        """Create database `name` for `user`; its SQLAlchemy URL over TCP."""
        self.sql(f"CREATE DATABASE IF NOT EXISTS `{name}`")
        self.grant(user, secret, name)
        return f"mysql+pymysql://{user}:{secret}@{HOST}:{self.ports['sql']}/{name}"


class MariaDBSafe(MariaDB):
    """mysqld_safe runs mariadbd and writes its own lines ("... mysqld_safe
    Starting mariadbd daemon with databases from ...") into the error log.
    It ignores SIGTERM: stopping it is stopping mariadbd (by the pid file),
    after which mysqld_safe logs the end and exits."""

    kind = "mariadb_safe"

    def launch(self) -> None:
        self.spawn(["mariadbd-safe", *self.server_options()], "mariadbd-safe")  # Kolla's command

    def stop(self) -> None:
        pid_file = self.path("run", "mysqld.pid")
        if self.procs and self.procs[0].alive() and pid_file.exists():
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            self.procs[0].wait(self.stop_timeout)
        super().stop()

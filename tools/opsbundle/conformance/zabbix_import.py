"""Import a zabbix implementation's rendered template into a real Zabbix 6.0.

A throw-away Zabbix frontend and database on loopback, started per run:
PostgreSQL (a private cluster: a free port, the socket in the scratch folder;
as the `postgres` user when run as root, since PostgreSQL refuses root) on a
copy of a cluster that holds the zabbix-server-pgsql schema, images and data,
and Debian's zabbix-frontend-php served by PHP's built-in server.

Loading Zabbix's SQL takes 10-50 s; a copy of the loaded cluster takes under
one. So the loaded cluster is made once per Zabbix schema and PostgreSQL
version (`template_cluster`: initdb, load, clean shutdown, kept in the user's
cache under a key of both) and every run starts PostgreSQL on its own copy,
which it throws away: no run sees another's imports. Debian's frontend reads
its DB settings from the fixed path /etc/zabbix/zabbix.conf.php; rather than
write there, the frontend is copied into the scratch folder and the copy's
CConfigFile points at a config file beside it. zabbix_server itself is not
needed: `configuration.import` (JSON-RPC, Admin/zabbix) validates and stores
the template, or rejects it with the first error and rolls back. Everything
started is stopped by PID, the frontend before PostgreSQL.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from ..cache import cache_dir
from .locks import exclusive
from .result import Result

FRONTEND = Path("/usr/share/zabbix")
SCHEMA = Path("/usr/share/zabbix-server-pgsql")
KIND = "zabbix: configuration.import"
RULES = {
    "groups": {"createMissing": True, "updateExisting": True},
    "templates": {"createMissing": True, "updateExisting": True},
    "items": {"createMissing": True, "updateExisting": True, "deleteMissing": True},
    "triggers": {"createMissing": True, "updateExisting": True, "deleteMissing": True},
    "httptests": {"createMissing": True, "updateExisting": True, "deleteMissing": True},
    "discoveryRules": {"createMissing": True, "updateExisting": True, "deleteMissing": True},
}


class ZabbixError(Exception):
    """The throw-away Zabbix could not be started or asked."""


def available() -> str | None:
    """Why the throw-away Zabbix cannot run here, or None when it can."""
    if not (FRONTEND / "api_jsonrpc.php").is_file():
        return "zabbix-frontend-php is not installed"
    if not (SCHEMA / "schema.sql.gz").is_file():
        return "zabbix-server-pgsql is not installed"
    if not shutil.which("php") or not _pg_bin("initdb"):
        return "php-cli or postgresql is not installed"
    return None


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Zabbix:
    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="opsbundle-zabbix-"))
        os.chmod(self.base, 0o755)
        self.pg_port, self.web_port = _free_port(), _free_port()
        self.as_root = os.geteuid() == 0
        self.web: subprocess.Popen | None = None
        self.pg_started = False
        self.token = ""

    def _pg(self, *argv: str) -> subprocess.CompletedProcess:
        cmd = list(argv)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def _sql(self, sql: str, db: str = "zabbix") -> None:
        done = subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.pg_port),
             "-U", "zabbix", "-d", db],
            input=sql, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise ZabbixError(f"psql: {done.stderr.strip()[-300:]}")

    def _start_pg(self, data: Path, sock: Path, extra: str = "") -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {sock} -c fsync=off "
            f"-c full_page_writes=off -c synchronous_commit=off {extra}"
        )
        done = self._pg(_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l",
                        str(sock / "pg.log"), "-w", "start")  # fmt: skip
        if done.returncode != 0:
            raise ZabbixError(f"pg_ctl start: {done.stderr.strip()[-300:]}")
        self.pg_started = True

    def load_schema(self) -> None:
        """A fresh cluster in base/pg holding Zabbix's schema, images and data."""
        data, sock = self.base / "pg", self.base / "sock"
        data.mkdir()
        sock.mkdir(exist_ok=True)
        self._own(data, sock)
        done = self._pg(_pg_bin("initdb"), "-D", str(data), "-U", "zabbix", "--auth=trust",
                        "-E", "UTF8", "--wal-segsize=1")  # fmt: skip
        if done.returncode != 0:
            raise ZabbixError(f"initdb: {done.stderr.strip()[-300:]}")
        # little WAL kept after the load: every run copies the cluster
        self._start_pg(data, sock, "-c wal_level=minimal -c max_wal_senders=0 "
                       "-c min_wal_size=2MB -c max_wal_size=16MB")  # fmt: skip
        self._sql("CREATE DATABASE zabbix ENCODING 'UTF8';", db="postgres")
        for part in ("schema", "images", "data"):
            with gzip.open(SCHEMA / f"{part}.sql.gz", "rt", encoding="utf-8") as f:
                self._sql(f.read())

    def _own(self, *paths: Path) -> None:
        if self.as_root:
            user = pwd.getpwnam("postgres")
            for p in paths:
                os.chown(p, user.pw_uid, user.pw_gid)

    def start(self) -> None:
        sock = self.base / "sock"
        sock.mkdir()
        self._own(sock)
        template = template_cluster()
        # cp -a keeps the owner (postgres, when root) and the modes PostgreSQL insists on
        done = subprocess.run(["cp", "-a", str(template), str(self.base / "pg")],
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            raise ZabbixError(f"copying the template cluster: {done.stderr.strip()[-300:]}")
        self._start_pg(self.base / "pg", sock)
        self._frontend()
        self.token = self._login()

    def stop_pg(self, mode: str = "immediate") -> None:
        """Stop PostgreSQL: at once for a run's copy (thrown away), `fast` (a
        clean shutdown) for the template every run copies."""
        if self.pg_started:
            self._pg(_pg_bin("pg_ctl"), "-D", str(self.base / "pg"), "-m", mode, "-w", "stop")
            self.pg_started = False

    def _frontend(self) -> None:
        web = self.base / "frontend"
        # hard links: the frontend's 1,600 files in a blink; a real copy where linking is refused
        linked = subprocess.run(["cp", "-al", str(FRONTEND), str(web)], capture_output=True,
                                check=False)  # fmt: skip
        if linked.returncode != 0:
            shutil.rmtree(web, ignore_errors=True)
            shutil.copytree(FRONTEND, web, symlinks=True)
        conf = self.base / "zabbix.conf.php"
        conf.write_text(
            "<?php\n"
            "$DB['TYPE'] = 'POSTGRESQL';\n$DB['SERVER'] = '127.0.0.1';\n"
            f"$DB['PORT'] = '{self.pg_port}';\n$DB['DATABASE'] = 'zabbix';\n"
            "$DB['USER'] = 'zabbix';\n$DB['PASSWORD'] = '';\n$DB['SCHEMA'] = '';\n"
            "$DB['DOUBLE_IEEE754'] = true;\n$ZBX_SERVER_NAME = 'opsbundles test';\n"
            "$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;\n",
            encoding="utf-8",
        )
        config_class = web / "include/classes/core/CConfigFile.php"
        text = config_class.read_text(encoding="utf-8")
        config_class.unlink()  # a link to Debian's file: never write through it
        config_class.write_text(
            text.replace("'/etc/zabbix/zabbix.conf.php'", repr(str(conf))), encoding="utf-8"
        )
        self.web = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.web_port}", "-t", str(web)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.web_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise ZabbixError("the PHP server did not start")

    def call(self, method: str, params, auth: bool = True) -> dict:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if auth:
            body["auth"] = self.token
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}/api_jsonrpc.php",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json-rpc"},
        )
        with urllib.request.urlopen(req, timeout=120) as answer:  # noqa: S310 (loopback only)
            return json.loads(answer.read())

    def _login(self) -> str:
        answer = self.call("user.login", {"username": "Admin", "password": "zabbix"}, auth=False)
        if "result" not in answer:
            raise ZabbixError(f"user.login: {answer.get('error')}")
        return answer["result"]

    def import_yaml(self, text: str) -> tuple[bool, str]:
        answer = self.call(
            "configuration.import", {"format": "yaml", "rules": RULES, "source": text}
        )
        if answer.get("result") is True:
            return True, "imported"
        error = answer.get("error") or {}
        return False, f"{error.get('message', '')} {error.get('data', answer)}".strip()

    def stop(self) -> None:
        if self.web is not None:
            self.web.terminate()
            try:
                self.web.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.web.kill()
                self.web.wait()
        self.stop_pg()
        shutil.rmtree(self.base, ignore_errors=True)


def _template_key() -> str:
    """Zabbix's SQL and PostgreSQL's programs, by path, size and mtime: what
    the loaded cluster depends on (an upgrade of either makes a new one)."""
    parts = []
    sql = [SCHEMA / f"{p}.sql.gz" for p in ("schema", "images", "data")]
    programs = [Path(_pg_bin(name) or name) for name in ("initdb", "postgres")]
    for path in sql + programs:
        try:
            st = path.resolve().stat()
            parts.append(f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:absent")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def template_cluster() -> Path:
    """The cluster with Zabbix's database loaded, made once per key (two runs
    at once: one makes it, the other waits for it). Runs copy it, never use it."""
    home = cache_dir() / "zabbix"
    target = home / f"cluster-{_template_key()}"
    if (target / "PG_VERSION").is_file():
        return target
    home.mkdir(parents=True, exist_ok=True)
    with exclusive(home / f"{target.name}.lock"):
        if (target / "PG_VERSION").is_file():
            return target
        maker = Zabbix()
        try:
            maker.load_schema()
            maker.stop_pg("fast")  # a clean shutdown: copies start without recovery
            staging = home / f".{target.name}.{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            done = subprocess.run(["cp", "-a", str(maker.base / "pg"), str(staging)],
                                  capture_output=True, text=True, check=False)  # fmt: skip
            if done.returncode != 0:
                raise ZabbixError(f"keeping the template cluster: {done.stderr.strip()[-300:]}")
            os.replace(staging, target)
        finally:
            maker.stop()
    return target


def _counts(export: dict, template: dict) -> dict[str, int]:
    """What the file holds for one template: items, triggers (those under its
    items and the file's own trigger list naming it), web scenarios and
    discovery rules."""
    items = template.get("items") or []
    name = f"/{template['template']}/"
    loose = [t for t in export.get("triggers") or [] if name in str(t.get("expression", ""))]
    return {
        "items": len(items),
        "triggers": sum(len(i.get("triggers") or []) for i in items) + len(loose),
        "httpTests": len(template.get("httptests") or []),
        "discoveries": len(template.get("discovery_rules") or []),
    }


def stored(ref: str, zabbix: Zabbix, text: str) -> list[Result]:
    """Each template is in Zabbix with as many items, triggers, web scenarios
    and discovery rules as the file has."""
    from .. import yamldata

    export = (yamldata.loaded(text) or {})["zabbix_export"]
    results = []
    for template in export.get("templates") or []:
        want = _counts(export, template)
        answer = zabbix.call(
            "template.get",
            {"output": ["host"], "filter": {"host": [template["template"]]},
             **{f"select{k[0].upper()}{k[1:]}": "count" for k in want}},
        )  # fmt: skip
        found = (answer.get("result") or [{}])[0]
        got = {k: int(found.get(k, -1)) for k in want}
        results.append(
            Result(ref, "zabbix: items and triggers stored", template["template"], got == want,
                   f"want {want}; got {got}")
        )  # fmt: skip
    return results


def run(ctx, bundle, files, work) -> list[Result]:
    why = available()
    if why:
        return [Result(bundle.ref, KIND, "zabbix", False, why)]
    templates = [(d, p) for d, p in files if d.endswith((".yaml", ".yml"))]
    zabbix = Zabbix()
    try:
        zabbix.start()
        results = []
        for dest, path in templates:
            text = path.read_text(encoding="utf-8")
            ok, detail = zabbix.import_yaml(text)
            results.append(Result(bundle.ref, KIND, dest, ok, detail))
            if ok:
                results += stored(bundle.ref, zabbix, text)
        return results
    except (ZabbixError, OSError, ValueError) as exc:
        return [Result(bundle.ref, KIND, "start", False, str(exc))]
    finally:
        zabbix.stop()

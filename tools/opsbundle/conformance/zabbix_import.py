"""Import a zabbix implementation's rendered template into a real Zabbix 6.0.

A throw-away Zabbix frontend and database on loopback, started per run:
PostgreSQL (a private cluster: initdb, a free port, the socket in the scratch
folder; as the `postgres` user when run as root, since initdb refuses root),
the zabbix-server-pgsql schema, images and data, and Debian's
zabbix-frontend-php served by PHP's built-in server. Debian's frontend reads
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

    def start(self) -> None:
        data, sock = self.base / "pg", self.base / "sock"
        data.mkdir()
        sock.mkdir()
        if self.as_root:
            user = pwd.getpwnam("postgres")
            for p in (data, sock):
                os.chown(p, user.pw_uid, user.pw_gid)
        done = self._pg(_pg_bin("initdb"), "-D", str(data), "-U", "zabbix", "--auth=trust",
                        "-E", "UTF8")  # fmt: skip
        if done.returncode != 0:
            raise ZabbixError(f"initdb: {done.stderr.strip()[-300:]}")
        options = f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {sock} -c fsync=off"
        done = self._pg(_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l",
                        str(sock / "pg.log"), "-w", "start")  # fmt: skip
        if done.returncode != 0:
            raise ZabbixError(f"pg_ctl start: {done.stderr.strip()[-300:]}")
        self.pg_started = True
        self._sql("CREATE DATABASE zabbix ENCODING 'UTF8';", db="postgres")
        for part in ("schema", "images", "data"):
            with gzip.open(SCHEMA / f"{part}.sql.gz", "rt", encoding="utf-8") as f:
                self._sql(f.read())
        self._frontend()
        self.token = self._login()

    def _frontend(self) -> None:
        web = self.base / "frontend"
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
        if self.pg_started:
            self._pg(_pg_bin("pg_ctl"), "-D", str(self.base / "pg"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


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
    import yaml

    export = (yaml.safe_load(text) or {})["zabbix_export"]
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

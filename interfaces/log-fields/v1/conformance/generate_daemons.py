"""Write the daemon part of the log-fields/v1 corpus with the real daemons of
tools/testcloud (Debian's packages), each logging what it does twice where it
can: the text line parsers read, and a second view of the same record written
by a real program (the oracle).

    python interfaces/log-fields/v1/conformance/generate_daemons.py [OUT]

- Apache 2.4: Debian's `combined` CustomLog and a second CustomLog writing the
  same fields as JSON.
- HAProxy 2.6: `option httplog` lines sent to the host's syslog (rsyslogd
  with Debian's rules writes haproxy.log, and rsyslog's own JSON of the same
  messages: `.twin.jsonl`), and the same log events as RFC 5424 with
  httplog's values as structured data (rsyslog's mmpstrucdata: `.sd.jsonl`).
- RabbitMQ 3.10: the plaintext log file and the JSON console formatter.
- MariaDB 10.11: the error log (no second formatter exists: the oracle reads
  the records by sql/log.cc's printf layout, see oracle.mariadb_events).

The requests are real; times are the real ones, so a re-run writes new times
(the oracle comes with them). `site.json` names the program and version.
The suite runs the same functions on a fresh test cloud
(tools/tests/logparse/test_daemons.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUESTS = [
    ("GET", "/v3", None, "python-keystoneclient"),
    ("POST", "/v3/auth/tokens", b'{"auth": {}}', "openstacksdk/4.0.1 keystoneauth1/5.6.0"),
    ("GET", "/v3/users?domain_id=default&name=alice", None, "python-openstackclient"),
    ("DELETE", "/v3/projects/2b7e151628aed2a6abf7158809cf4f3c", None, "curl/7.88.1"),
]


def _version(argv: list[str], after: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return (done.stdout + done.stderr).split(after)[1].split()[0].rstrip(",")


def _site(folder: Path, program: str, version: str, **more) -> None:
    site = {"program": program, "version": version, **more}
    (folder / "site.json").write_text(json.dumps(site, indent=2) + "\n")


def _request(url: str, method: str, body: bytes | None, agent: str) -> None:
    request = urllib.request.Request(
        url, data=body, method=method, headers={"User-Agent": agent, "Referer": "-"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
    except urllib.error.HTTPError as error:  # a status is an answer too
        error.read()


def _lines(path: str, start: int = 0) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return f.read()[start:].splitlines()


def _wait_for(path: str, count: int, start: int = 0) -> list[str]:
    """The lines a daemon writes after `start`, once there are `count`."""
    from testcloud.daemon import wait_until

    wait_until(lambda: len(_lines(path, start)) >= count, f"{count} lines in {path}", 60)
    return _lines(path, start)


def _size(path: str) -> int:
    return Path(path).stat().st_size if Path(path).exists() else 0


def apache(cloud, out: Path) -> int:
    daemon = cloud.get("apache")
    marks = {name: _size(daemon.logs[name]) for name in ("access", "json")}
    for method, path, body, agent in REQUESTS:
        _request(daemon.info["url"] + path, method, body, agent)
    version = _version(["apache2", "-v"], "Apache/")
    folder = out / f"apache2-{version}" / "apache-combined" / "keystone"
    folder.mkdir(parents=True, exist_ok=True)
    text = _wait_for(daemon.logs["access"], len(REQUESTS), marks["access"])
    twin = _wait_for(daemon.logs["json"], len(REQUESTS), marks["json"])
    (folder / "keystone-access.log").write_text("\n".join(text) + "\n")
    (folder / "keystone-access.twin.jsonl").write_text("\n".join(twin) + "\n")
    _site(folder.parent, "apache2", version, format="combined")
    return len(text)


HAPROXY_REQUESTS = [
    ("apache_api", "GET", "/v3", None, "python-keystoneclient"),
    ("apache_api", "POST", "/v3/auth/tokens", b'{"auth": {}}', "keystoneauth1/5.6.0"),
    ("uwsgi_api", "GET", "/placement/resource_providers?in_tree=abc", None, "openstacksdk/4.0.1"),
    ("uwsgi_api", "PUT", "/v2.1/os-services/disable", b"{}", "python-novaclient"),
    ("apache_api", "DELETE", "/v3/projects/2b7e151628aed2a6abf7158809cf4f3c", None, "curl/7.88.1"),
]


def haproxy(cloud, out: Path) -> int:
    """Requests through both of HAProxy's routes; the host syslog's lines and
    both twins of the same requests, paired by the client port and accept date."""
    daemon, syslog = cloud.get("haproxy"), cloud.get("syslog")
    marks = {name: _size(syslog.logs[name]) for name in ("haproxy", "haproxy_twin", "structured")}
    for route, method, path, body, agent in HAPROXY_REQUESTS:
        _request(daemon.info["urls"][route] + path, method, body, agent)
    count = len(HAPROXY_REQUESTS)
    structured = [
        json.loads(line)
        for line in _wait_for(syslog.logs["structured"], count, marks["structured"])
        if line.strip()
    ]
    text = _wait_for(syslog.logs["haproxy"], count, marks["haproxy"])
    twins = [json.loads(line) for line in _wait_for(syslog.logs["haproxy_twin"], count,
                                                    marks["haproxy_twin"])]  # fmt: skip
    pairs = []
    for record in structured:
        h = record["httplog@1"]
        key = f"{h['client_ip']}:{h['client_port']} [{h['accept_date']}]"
        found = [n for n, t in enumerate(twins) if key in t["msg"]]
        if len(found) != 1 or key not in text[found[0]]:
            raise SystemExit(f"haproxy: no single syslog line for {key}")
        pairs.append((text[found[0]], twins[found[0]], record))
    version = _version(["haproxy", "-v"], "version ").split("-")[0]
    folder = out / f"haproxy-{version}" / "haproxy-httplog" / "haproxy"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "haproxy.log").write_text("".join(f"{line}\n" for line, _, _ in pairs))
    (folder / "haproxy.twin.jsonl").write_text("".join(json.dumps(t) + "\n" for _, t, _ in pairs))
    (folder / "haproxy.sd.jsonl").write_text("".join(json.dumps(s) + "\n" for _, _, s in pairs))
    _site(folder.parent, "haproxy", version, format="httplog via the host's syslog (rsyslog)")
    return len(pairs)


def rabbitmq(cloud, out: Path, records: int = 25) -> int:
    """The node's start-up, a refused login and a vhost's life: the text
    log's records with the JSON console formatter's record of each (the
    console starts at "configured log handlers are now ACTIVE")."""
    import base64

    daemon = cloud.get("rabbitmq")
    bad = base64.b64encode(b"intruder:wrong").decode()
    request = urllib.request.Request(
        daemon.info["management_url"] + "/api/overview", headers={"Authorization": f"Basic {bad}"}
    )
    try:
        urllib.request.urlopen(request, timeout=30).read()
    except urllib.error.HTTPError as error:
        error.read()
    daemon.api("/api/vhosts/corpus-vhost", "PUT", {})
    daemon.api("/api/vhosts/corpus-vhost", "DELETE")
    from testcloud.daemon import wait_until

    def records_now() -> list[dict]:
        found = []
        for line in _lines(daemon.logs["json"]):
            at = line.find('{"time":')  # the boot banner shares lines with records
            if at >= 0:
                found.append(json.loads(line[at:]))
        return found

    wait_until(lambda: any("corpus-" in r["msg"] and "Deleting" in r["msg"] for r in records_now()),
               "RabbitMQ logging the vhost's deletion", 60)  # fmt: skip
    twins = records_now()
    wait_until(lambda: twins[-1]["time"] in Path(daemon.logs["rabbit"]).read_text(encoding="utf-8"),
               "RabbitMQ's text log to catch up with its console", 60)  # fmt: skip
    text = _lines(daemon.logs["rabbit"])
    # the two handlers may write records of the same instant in another
    # order: a record's lines are those with its header (time, level, pid)
    by_header: dict[str, list[int]] = {}
    for n, line in enumerate(text):
        by_header.setdefault(line.split("> ", 1)[0] + ">", []).append(n)
    lines, chosen, seen = [], [], False
    for twin in twins:
        header = f"{twin['time']} [{twin['level']}] {twin.get('pid', '')}"
        n = twin["msg"].count("\n") + 1
        numbers = by_header.get(header, [])
        if len(numbers) < n:
            raise SystemExit(f"rabbitmq: no text lines for the JSON record at {header}")
        block = [text[i] for i in numbers[:n]]
        del numbers[:n]
        seen = seen or "corpus-" in twin["msg"]
        wanted = len(chosen) < records or n > 1 or twin["level"] not in ("info", "notice")
        if wanted or "corpus-" in twin["msg"]:
            lines += block
            chosen.append(twin)
    version = _version(["dpkg-query", "-W", "rabbitmq-server"], "rabbitmq-server\t").split("-")[0]
    folder = out / f"rabbitmq-{version}" / "rabbitmq" / "rabbitmq"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rabbit.log").write_text("".join(f"{line}\n" for line in lines))
    (folder / "rabbit.twin.jsonl").write_text(
        "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in chosen), encoding="utf-8"
    )
    _site(folder.parent, "rabbitmq", version, format="plaintext file + JSON console formatter")
    return len(chosen)


def mariadb(cloud, out: Path) -> int:
    """The server's error log from its start: notes, warnings, the
    multi-line "ready for connections", an aborted connection."""
    import socket

    daemon = cloud.get("mariadb")
    with socket.create_connection((daemon.info["host"], daemon.info["port"]), timeout=10) as s:
        s.recv(1024)  # the handshake; then hang up without logging in
    daemon.sql("SET GLOBAL log_warnings = 4")
    with socket.create_connection((daemon.info["host"], daemon.info["port"]), timeout=10) as s:
        s.recv(1024)
    daemon.sql("SET GLOBAL log_warnings = 2")
    text = Path(daemon.logs["error"]).read_text(encoding="utf-8")
    version = _version(["mariadbd", "--version"], "Ver ").split("-")[0]
    folder = out / f"mariadb-{version}" / "mariadb-error" / "mariadb"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mariadb.log").write_text(text, encoding="utf-8")
    _site(folder.parent, "mariadbd", version, format="error log (no second view: see the README)")
    return text.count("\n")


DAEMONS = {"apache": apache, "haproxy": haproxy, "rabbitmq": rabbitmq, "mariadb": mariadb}


def write(cloud, out: Path, names=DAEMONS) -> dict[str, int]:
    """Write each daemon's source under `out`; the records written, per daemon."""
    return {name: DAEMONS[name](cloud, out) for name in names}


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE.parents[3] / "tools"))
    from testcloud.cloud import Cloud

    out = Path(argv[0]) if argv else HERE / "corpus"
    state = Path(tempfile.mkdtemp(prefix="opsbundle-corpus-"))
    cloud = Cloud(state)
    try:
        for name, count in write(cloud, out).items():
            print(f"{name}: {count} records")
    finally:
        cloud.down()
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

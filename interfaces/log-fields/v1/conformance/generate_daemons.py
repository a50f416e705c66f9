"""Write the daemon part of the log-fields/v1 corpus with the real daemons of
tools/testcloud (Debian's packages), each logging what it does twice where it
can: the text line parsers read, and a second view of the same record written
by a real program (the oracle).

    python interfaces/log-fields/v1/conformance/generate_daemons.py [OUT] [--openstack]
    python interfaces/log-fields/v1/conformance/generate_daemons.py [OUT] --only NAME

(--openstack: the mini cloud's services instead of the infrastructure daemons;
--only haproxy: that daemon's sources only)

- Apache 2.4: Debian's `combined` CustomLog and a second CustomLog writing the
  same fields as JSON.
- HAProxy 2.6: `option httplog` lines sent to the host's syslog (rsyslogd
  with Debian's rules writes haproxy.log, and rsyslog's own JSON of the same
  messages: `.twin.jsonl`), and the same log events as RFC 5424 with
  httplog's values as structured data (rsyslog's mmpstrucdata: `.sd.jsonl`);
  and Kolla's own line (`log <address>:<port> local1`, UDP) to where Kolla's
  fluentd listens: the datagrams as received, made into the file Kolla's
  fluentd writes (kind haproxy-kolla, haproxy_latest.log; fluentd emulated,
  testcloud/kolla_fluentd.py), with the same two twins of the same events.
- RabbitMQ 3.10: the plaintext log file and the JSON console formatter.
- MariaDB 10.11: the error log (no second formatter exists: the oracle reads
  the records by sql/log.cc's printf layout, see oracle.mariadb_events).
- Open vSwitch 3.1 and OVN 23.03: ovsdb-server, ovs-vswitchd (dummy datapath),
  the OVN databases and ovn-northd, each writing its --log-file and, as the
  second view, the same records to its console in a tab-separated pattern.
- dnsmasq 2.90: its log file as neutron's DHCP agent has it in Kolla (no
  second view either: log.c's layout, see oracle.dnsmasq_events).
- libvirtd 9.0 (QEMU driver, no QEMU): its log file and its journald output
  of the same records, in the test cloud's journald (journalctl's JSON).
- keystone, placement and glance, our own debs in the mini cloud (`openstack`,
  run in `nox -s cloud`): each service's own log, written by oslo.log's
  ContextFormatter, and its JSONFormatter's twin of the same records (the
  cloud's log_config_append, testcloud/openstack.py), from the service's
  start through requests a site's users make, some refused.

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
    logs = ("haproxy", "haproxy_twin", "structured", "udp_raw")
    marks = {name: _size(syslog.logs[name]) for name in logs}
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
    datagrams = _wait_for(syslog.logs["udp_raw"], count, marks["udp_raw"])
    pairs, kolla = [], []
    for record in structured:
        h = record["httplog@1"]
        key = f"{h['client_ip']}:{h['client_port']} [{h['accept_date']}]"
        found = [n for n, t in enumerate(twins) if key in t["msg"]]
        if len(found) != 1 or key not in text[found[0]]:
            raise SystemExit(f"haproxy: no single syslog line for {key}")
        pairs.append((text[found[0]], twins[found[0]], record))
        sent = [d for d in datagrams if key in d]
        if len(sent) != 1:
            raise SystemExit(f"haproxy: no single datagram to Kolla's fluentd for {key}")
        kolla.append((_kolla_line(sent[0]), twins[found[0]], record))
    version = _version(["haproxy", "-v"], "version ").split("-")[0]
    folder = out / f"haproxy-{version}" / "haproxy-httplog" / "haproxy"
    _haproxy_files(folder, "haproxy", [(f"{line}\n", t, s) for line, t, s in pairs])
    _site(folder.parent, "haproxy", version, format="httplog via the host's syslog (rsyslog)")
    folder = out / f"haproxy-{version}" / "haproxy-kolla" / "haproxy"
    _haproxy_files(folder, "haproxy_latest", kolla)
    how = "httplog to Kolla's fluentd (UDP, local1), its file haproxy_latest.log (emulated)"
    _site(folder.parent, "haproxy", version, format=how, layout="kolla", writer="kolla-fluentd")
    return len(pairs)


def _kolla_line(datagram: str) -> str:
    """The line Kolla's fluentd appends for a datagram HAProxy sent it from
    this host (in_syslog resolves the sender: 127.0.0.1's name)."""
    import socket

    from testcloud import kolla_fluentd

    made = kolla_fluentd.line(datagram, socket.getnameinfo(("127.0.0.1", 0), 0)[0])
    if made is None:
        raise SystemExit(f"haproxy: Kolla's fluentd would drop {datagram[:80]!r}")
    return made


def _haproxy_files(folder: Path, name: str, events: list[tuple[str, dict, dict]]) -> None:
    """The log, rsyslog's JSON of the same messages and HAProxy's own values."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.log").write_text("".join(line for line, _, _ in events))
    (folder / f"{name}.twin.jsonl").write_text("".join(json.dumps(t) + "\n" for _, t, _ in events))
    (folder / f"{name}.sd.jsonl").write_text("".join(json.dumps(s) + "\n" for _, _, s in events))


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
    daemon = cloud.get("mariadb")
    _hang_up(daemon)
    daemon.sql("SET GLOBAL log_warnings = 4")
    _hang_up(daemon)
    daemon.sql("SET GLOBAL log_warnings = 2")
    return _error_log(daemon, out, "mariadb-error", "error log (no second view: see the README)")


def _hang_up(daemon) -> None:
    """Take MariaDB's handshake and hang up without logging in."""
    import socket

    with socket.create_connection((daemon.info["host"], daemon.info["port"]), timeout=10) as s:
        s.recv(1024)


def _error_log(daemon, out: Path, kind: str, how: str) -> int:
    text = Path(daemon.logs["error"]).read_text(encoding="utf-8")
    version = _version(["mariadbd", "--version"], "Ver ").split("-")[0]
    folder = out / f"mariadb-{version}" / kind / "mariadb"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mariadb.log").write_text(text, encoding="utf-8")
    _site(folder.parent, "mariadbd", version, format=how)
    return text.count("\n")


def _call(url: str, method: str = "GET", body=None, token: str | None = None, headers=None):
    """(status, body) of a request to an OpenStack API; an error status is an answer."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["X-Auth-Token"] = token
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _password_auth(admin: dict, password: str) -> dict:
    user = {"name": admin["username"], "domain": {"id": "default"}, "password": password}
    scope = {"project": {"name": admin["project_name"], "domain": {"id": "default"}}}
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": user}},
                     "scope": scope}}  # fmt: skip


def openstack_traffic(cloud) -> list[tuple[str, str, str, int]]:
    """What a site's users do to the three services, some of it refused:
    (service, method, path, status) of each request made."""
    from testcloud import identity

    keystone = cloud.get("keystone")
    admin = keystone.info["admin"]
    token = identity.Keystone(keystone.info["url"], admin["username"], admin["password"]).token
    nothing = "7a1c2e3f4b5d46e8a9b0c1d2e3f4a5b6"
    urls = {name: cloud.get(name).info["url"] for name in ("keystone", "placement", "glance")}
    calls = [
        ("keystone", "POST", "/v3/auth/tokens", _password_auth(admin, "wrong"), None, {}),
        ("keystone", "GET", f"/v3/projects/{nothing}", None, token, {}),
        ("keystone", "GET", "/v3/users?name=nobody", None, token, {}),
        ("keystone", "GET", "/v3/auth/tokens", None, token, {"X-Subject-Token": "not-a-token"}),
        ("placement", "GET", "/", None, None, {}),
        ("placement", "GET", "/resource_providers", None, token,
         {"OpenStack-API-Version": "placement 1.20"}),
        ("placement", "GET", f"/resource_providers/{nothing}", None, token, {}),
        ("placement", "GET", "/resource_providers", None, "not-a-token", {}),
        ("glance", "GET", "/v2/images", None, token, {}),
        ("glance", "GET", "/v2/images/8c3f6a2e-1d4b-4f7a-9e2c-5b6d7e8f9a01", None, token, {}),
        ("glance", "GET", "/v2/images", None, "not-a-token", {}),
    ]  # fmt: skip
    made = []
    for name, method, path, body, auth, headers in calls:
        status, _ = _call(urls[name] + path, method, body, auth, headers)
        made.append((name, method, path, status))
    return made


def _oslo_records(log: Path, twin: Path, marks: tuple[int, int]) -> tuple[str, list[str]]:
    """What the text log and its twin gained since `marks` (their sizes then),
    once both hold the same records: the handlers write each record to the
    text first, then the twin, so the two are read until the twin has a record
    for every record start in the text (each JSON record's own prefix, in the
    same order) and neither grows."""
    from testcloud.daemon import DaemonError, wait_until

    def prefix(record: dict) -> str:
        return (f"{record['asctime']}.{int(record['msecs']):03d} {record['process']} "
                f"{record['levelname']} {record['name']} ")  # fmt: skip

    seen: dict = {}

    def settled() -> bool:
        if _size(str(log)) < marks[0] or _size(str(twin)) < marks[1]:
            raise DaemonError(f"{log.name} or its twin was rotated meanwhile: run again")
        twins = twin.read_bytes()[marks[1] :].decode("utf-8").splitlines()
        text = log.read_bytes()[marks[0] :].decode("utf-8")
        at = 0
        for line in twins:
            at = text.find(prefix(json.loads(line)), at)
            if at < 0:
                return False
            at += 1
        now = (len(text), len(twins))
        ok = seen.get("last") == now
        seen.update(last=now, text=text, twins=twins)
        return ok

    wait_until(settled, f"{log.name} and its twin to hold the same records", 60)
    return seen["text"], seen["twins"]


def openstack(cloud, out: Path, from_start: bool = False, made: list | None = None) -> int:
    """Each service's own oslo.log records and oslo.log's JSON twin of them,
    and uwsgi's request log, through the requests of openstack_traffic
    (added to `made` when given); from the service's start when
    `from_start` (a cloud of its own, as main() makes)."""
    from testcloud.debs import RELEASE

    node = Path(cloud.get("node").info["root"])
    daemons = {name: cloud.get(name) for name in ("keystone", "placement", "glance")}
    files = {
        name: (node / "var/log" / d.project / f"{d.program}.log",
               node / "var/log" / d.project / f"{d.program}.twin.jsonl")
        for name, d in daemons.items()
    }  # fmt: skip
    marks = {
        name: (0, 0) if from_start else (_size(str(log)), _size(str(twin)))
        for name, (log, twin) in files.items()
    }
    uwsgi_logs = {
        name: log
        for name, d in daemons.items()
        for log in sorted((node / "var/log" / d.project).glob("*-uwsgi.log"))
    }
    uwsgi_marks = {name: 0 if from_start else _size(str(log)) for name, log in uwsgi_logs.items()}
    traffic = openstack_traffic(cloud)
    if made is not None:
        made.extend(traffic)
    oslo = _version(["chroot", str(node), "dpkg-query", "-W", "python3-oslo.log"], "\t")
    records = 0
    for name, daemon in daemons.items():
        text, twins = _oslo_records(*files[name], marks[name])
        version = RELEASE[name][1]
        folder = out / f"{name}-{version}" / "oslo-service" / daemon.project
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{daemon.program}.log").write_text(text, encoding="utf-8")
        (folder / f"{daemon.program}.twin.jsonl").write_text("".join(f"{t}\n" for t in twins))
        options = daemon.info["oslo_log"]
        options = {k: v for k, v in options.items() if k.startswith(("logging_", "instance_"))}
        how = "the service's own log (log_config_append: ContextFormatter + JSONFormatter)"
        _site(folder.parent, name, version, **options, **{"oslo.log": oslo.split("-")[0]},
              format=how)  # fmt: skip
        records += len(twins)
    records += _uwsgi(node, uwsgi_logs, uwsgi_marks, traffic, out)
    return records


def _uwsgi(node: Path, logs: dict, marks: dict, made: list, out: Path) -> int:
    """The request log of the services uwsgi runs (the package's ini: logto
    /var/log/<project>/<unit>-uwsgi.log): what it gained since `marks`, once
    every request made to the service is in it."""
    from testcloud.daemon import wait_until

    done = subprocess.run(["chroot", str(node), "uwsgi", "--version"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    version = done.stdout.strip().split("-")[0]
    lines = 0
    for name, log in logs.items():
        asked = sum(1 for service, *_ in made if service == name)

        def text(log=log, name=name) -> str:
            return log.read_bytes()[marks[name] :].decode("utf-8")

        wait_until(lambda asked=asked: text().count(" => generated ") >= asked,
                   f"{log.name}: the requests made", 60)  # fmt: skip
        folder = out / f"uwsgi-{version}" / "uwsgi" / log.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / log.name).write_text(text(), encoding="utf-8")
        lines += text().count("\n")
    _site(
        folder.parent, "uwsgi", version, format="the packages' ini (logto), uwsgi's own request log"
    )
    return lines


def dnsmasq(cloud, out: Path) -> int:
    """neutron's dnsmasq as Kolla runs it (log-facility=.../neutron/dnsmasq.log):
    its start, and queries answered, refused and of another type."""
    daemon = cloud.get("dnsmasq")
    from testcloud.daemon import wait_until

    asked = (("a.corpus.example", 1), ("nothing.invalid", 1), ("b.corpus.example", 28))
    answers = [daemon.query(name, qtype) for name, qtype in asked]

    def queries() -> int:
        return sum("query[" in line for line in _lines(daemon.logs["dnsmasq"]))

    wait_until(lambda: queries() >= len(asked), "dnsmasq logging the queries", 60)
    text = Path(daemon.logs["dnsmasq"]).read_text(encoding="utf-8")
    version = _version(["dnsmasq", "--version"], "version ")
    folder = out / f"dnsmasq-{version}" / "dnsmasq" / "neutron"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dnsmasq.log").write_text(text, encoding="utf-8")
    _site(folder.parent, "dnsmasq", version, format="log-facility file, log-queries (Kolla's)",
          answers=answers)  # fmt: skip
    return text.count("\n")


def mariadb_safe(cloud, out: Path) -> int:
    """MariaDB as Kolla's image runs it (`mariadbd-safe`): mysqld_safe's own
    lines around the server's (its start, the server's end), an aborted
    connection, a restart."""
    daemon = cloud.get("mariadb_safe")
    _hang_up(daemon)
    daemon.stop()  # mariadbd ends, then mysqld_safe says so
    daemon = cloud.get("mariadb_safe")  # started again, appending to the same log
    return _error_log(daemon, out, "mariadb-safe", "error log via mysqld_safe (Kolla's command)")


def _vlog_pairs(log: Path, twin: Path) -> tuple[str, str]:
    """A vlog file and its console twin, cut to the records both hold: the
    longest run of (thread, sequence number) that is the same, in the same
    order, at the start of both. A daemon that keeps logging (ovn-controller
    under load: poll-interval warnings) is never caught with the two equal,
    so the run is taken once one view holds a prefix of the other."""
    from testcloud.daemon import wait_until

    def records(text: str, sep: str) -> list[tuple[tuple[str, int], int]]:
        """(key, offset of the record's line) for each record of `text`."""
        out, offset = [], 0
        for line in text.splitlines(keepends=True):
            parts = line.split(sep)
            if len(parts) >= 5 and parts[1].isdigit():
                if sep == "|":
                    thread = parts[2].partition("(")[2].rstrip(")") or "main"
                else:
                    thread = parts[2]
                out.append(((thread, int(parts[1])), offset))
            offset += len(line)
        return out

    seen: dict = {}

    def cut(text: str, found: list, n: int) -> str:
        return text if n == len(found) else text[: found[n][1]]

    def settled() -> bool:
        text, second = log.read_text(encoding="utf-8"), twin.read_text(encoding="utf-8")
        a, b = records(text, "|"), records(second, "\t")
        n = min(len(a), len(b))
        if not n or [k for k, _ in a[:n]] != [k for k, _ in b[:n]]:
            return False
        seen.update(text=cut(text, a, n), twin=cut(second, b, n))
        return True

    wait_until(settled, f"{log.name} and its console twin to hold the same records", 60)
    return seen["text"], seen["twin"]


def openvswitch(cloud, out: Path) -> int:
    """Open vSwitch and OVN (Debian's): their start, a bridge on the dummy
    datapath with a port that has no device, a logical switch and router."""
    ovs, ovn = cloud.get("openvswitch"), cloud.get("ovn")
    ovs.ctl("ovs-vsctl", "add-br", "br-corpus", "--", "set", "bridge", "br-corpus",
            "datapath_type=dummy")  # fmt: skip
    ovs.ctl(
        "ovs-vsctl", "add-port", "br-corpus", "p1", "--", "set", "interface", "p1", "type=dummy"
    )
    ovs.ctl("ovs-vsctl", "add-port", "br-corpus", "tap-corpus-gone")  # no such device
    ovs.ctl("ovs-vsctl", "del-port", "br-corpus", "p1")
    ovn.ctl("ovn-nbctl", "ls-add", "sw-corpus")
    ovn.ctl("ovn-nbctl", "lsp-add", "sw-corpus", "sw-corpus-p1")
    ovn.ctl("ovn-nbctl", "lsp-set-addresses", "sw-corpus-p1", "50:54:00:00:00:01 10.0.0.5")
    ovn.ctl("ovn-nbctl", "lr-add", "lr-corpus")
    ovn.ctl("ovn-nbctl", "--wait=sb", "sync")
    controller = cloud.get("ovn_controller")  # a chassis; its VM's port is bound
    port = ["interface", "vm-corpus-p1", "type=dummy", "external_ids:iface-id=sw-corpus-p1"]
    ovs.ctl("ovs-vsctl", "--may-exist", "add-port", "br-int", "vm-corpus-p1", "--", "set", *port)
    from testcloud.daemon import wait_until

    wait_until(lambda: "up in Southbound" in Path(controller.logs["ovn-controller"]).read_text(),
               "ovn-controller binding the port", 60)  # fmt: skip
    records = 0
    versions = {"openvswitch": (["ovs-vswitchd", "--version"], ") "),
                "ovn": (["ovn-northd", "--version"], "ovn-northd ")}  # fmt: skip
    sources = ((ovs, "openvswitch", "openvswitch"), (ovn, "ovn", "ovn"), (controller, "ovn", "ovn"))
    for daemon, project, service in sources:
        version = _version(*versions[project])
        folder = out / f"{project}-{version}" / "openvswitch" / service
        folder.mkdir(parents=True, exist_ok=True)
        for name in (n for n in daemon.logs if not n.endswith(".twin")):
            text, twin = _vlog_pairs(Path(daemon.logs[name]), Path(daemon.logs[f"{name}.twin"]))
            (folder / f"{name}.log").write_text(text, encoding="utf-8")
            (folder / f"{name}.twin.tsv").write_text(twin, encoding="utf-8")
            records += text.count("\n")
        how = "--log-file (vlog's default file pattern) + console twin, tab-separated"
        _site(folder.parent, project, version, format=how)
    return records


def libvirt(cloud, out: Path) -> int:
    """libvirtd's records from its start (its own start-up complaints: no
    D-Bus, no DMI, no emulator) and what a few virsh calls make it log: its
    log file, and journalctl's JSON of the same records from its journald
    output (the oracle), once both hold as many."""
    import re

    from testcloud.daemon import wait_until

    daemon = cloud.get("libvirt")
    for args in (["list", "--all"], ["domcapabilities"], ["nodeinfo"],
                 ["define", "/nonexistent.xml"], ["pool-info", "instances"]):  # fmt: skip
        daemon.virsh(*args)
    journal, pid = cloud.get("journald").info["journal"], daemon.procs[0].pid
    start = re.compile(r"^\d{4}-\d{2}-\d{2} [\d:.]{12}[+-]\d{4}: \d+: ", re.M)

    def twins() -> list[str]:
        argv = ["journalctl", "-D", journal, "-o", "json", "--all", "--no-pager", f"_PID={pid}"]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return done.stdout.splitlines() if done.returncode == 0 else []

    def text() -> str:
        return Path(daemon.logs["libvirtd"]).read_text(encoding="utf-8")

    seen: list[int] = []

    def settled() -> bool:
        now = (len(start.findall(text())), len(twins()))
        seen.append(now[0])
        return now[0] == now[1] > 0 and seen[-3:] == [now[0]] * 3

    wait_until(settled, "libvirtd: its log and its journald output", 60, interval=0.5)
    version = _version(["libvirtd", "--version"], "libvirtd (libvirt) ")
    folder = out / f"libvirt-{version}" / "libvirt" / "libvirt"
    folder.mkdir(parents=True, exist_ok=True)
    records, log = twins(), text()  # settled: the same records in both
    (folder / "libvirtd.log").write_text(log, encoding="utf-8")
    twin = "".join(f"{r}\n" for r in records)
    (folder / "libvirtd.twin.jsonl").write_text(twin, encoding="utf-8")
    _site(folder.parent, "libvirtd", version,
          format="log_outputs 2:file and 2:journald (journalctl -o json of that pid)")  # fmt: skip
    return len(records)


DAEMONS = {
    "apache": apache,
    "libvirt": libvirt,
    "haproxy": haproxy,
    "rabbitmq": rabbitmq,
    "mariadb": mariadb,
    "mariadb_safe": mariadb_safe,
    "dnsmasq": dnsmasq,
    "openvswitch": openvswitch,
}
# the services of our own debs: the mini cloud (`nox -s cloud`, marked openstack)
CLOUD = {"openstack": lambda cloud, out: openstack(cloud, out, from_start=True)}


def write(cloud, out: Path, names=DAEMONS) -> dict[str, int]:
    """Write each daemon's source under `out`; the records written, per daemon."""
    makers = {**DAEMONS, **CLOUD}
    return {name: makers[name](cloud, out) for name in names}


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE.parents[3] / "tools"))
    from testcloud.cloud import Cloud

    names = list(CLOUD) if "--openstack" in argv else list(DAEMONS)
    if "--only" in argv:  # one daemon's sources, the others left as they are
        at = argv.index("--only")
        names, argv = [argv[at + 1]], argv[:at] + argv[at + 2 :]
    argv = [a for a in argv if a != "--openstack"]
    out = Path(argv[0]) if argv else HERE / "corpus"
    state = Path(tempfile.mkdtemp(prefix="opsbundle-corpus-"))
    cloud = Cloud(state)
    try:
        for name, count in write(cloud, out, names).items():
            print(f"{name}: {count} records")
    finally:
        cloud.down()
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Each daemon of the test cloud answers its own protocol, and writes the
logs it says it writes. One cloud for the whole session (the `testcloud`
fixture); every check here is a real client against the real daemon."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from testcloud import probes
from testcloud.daemon import wait_until


def lines(path: str) -> list[str]:
    return Path(path).read_text(errors="replace").splitlines()


def eventually(check, timeout=30.0):
    """Logs are written after the answer: poll for them."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def logged(path: str, needle: str) -> list[str]:
    """The lines of a log that hold `needle`, once there are any."""
    return eventually(lambda: [line for line in lines(path) if needle in line])


def test_mariadb_answers_sql_over_tcp_with_its_admin_account(testcloud):
    db = testcloud.get("mariadb")
    done = subprocess.run(
        [
            "mariadb",
            "--no-defaults",
            "-h",
            "127.0.0.1",
            "-P",
            str(db.ports["sql"]),
            "-u",
            db.info["user"],
            f"-p{db.info['password']}",
            "-N",
            "-e",
            "SELECT 6*7",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"
    url = db.database("probe_db", "probe", "probe-secret")
    assert url.endswith(f"@127.0.0.1:{db.ports['sql']}/probe_db")
    assert "probe_db" in db.sql("SHOW DATABASES").split()
    assert "ready for connections" in Path(db.logs["error"]).read_text()
    assert eventually(lambda: "SHOW DATABASES" in Path(db.logs["slow"]).read_text())


def test_rabbitmq_routes_a_message_and_exports_metrics(testcloud):
    mq = testcloud.get("rabbitmq")
    status, _ = mq.api("/api/queues/%2F/probe", "PUT", {"durable": False})
    assert status in (201, 204)
    body = {
        "properties": {},
        "routing_key": "probe",
        "payload": "hello",
        "payload_encoding": "string",
    }
    status, answer = mq.api("/api/exchanges/%2F/amq.default/publish", "POST", body)
    assert status == 200 and json.loads(answer)["routed"] is True
    get = {"count": 1, "ackmode": "ack_requeue_false", "encoding": "auto"}
    status, answer = mq.api("/api/queues/%2F/probe/get", "POST", get)
    assert status == 200 and json.loads(answer)[0]["payload"] == "hello"
    assert probes.tcp_accepts("127.0.0.1", mq.ports["amqp"])
    status, metrics = probes.http_request(mq.info["prometheus_url"])
    assert status == 200 and b"rabbitmq_queues" in metrics
    assert mq.info["node"] in mq.ctl("status")
    assert any("Server startup complete" in line for line in lines(mq.logs["rabbit"]))
    records = [json.loads(line) for line in lines(mq.logs["json"]) if line.startswith("{")]
    assert any("Server startup complete" in r.get("msg", "") for r in records)


def test_memcached_stores_and_returns_a_value(testcloud):
    mc = testcloud.get("memcached")
    host, port = mc.info["server"].split(":")
    stored = probes.tcp_exchange(host, int(port), b"set probe 0 60 5\r\nhello\r\n", b"\r\n")
    assert stored == b"STORED\r\n"
    got = probes.tcp_exchange(host, int(port), b"get probe\r\n", b"END\r\n")
    assert got == b"VALUE probe 0 5\r\nhello\r\nEND\r\n"


def test_uwsgi_and_apache_serve_wsgi_and_log_each_request(testcloud):
    for name, log in (("uwsgi", "uwsgi"), ("apache", "access")):
        daemon = testcloud.get(name)
        status, body = probes.http_request(
            daemon.info["url"] + f"/probe-{name}", method="POST", data=b"x"
        )
        assert status == 200 and json.loads(body) == {"method": "POST", "path": f"/probe-{name}"}
        assert logged(daemon.logs[log], f"POST /probe-{name}")
    status, stats = probes.http_request(testcloud.get("uwsgi").info["stats_url"])
    assert status == 200 and "workers" in json.loads(stats)


def test_apache_json_twin_logs_the_same_request(testcloud):
    apache = testcloud.get("apache")
    probes.http_request(apache.info["url"] + "/twin?q=1", headers={"User-Agent": "twin-probe"})
    text = logged(apache.logs["access"], "twin-probe")
    twin = [json.loads(line) for line in logged(apache.logs["json"], "twin-probe")]
    assert len(text) == len(twin) == 1
    assert twin[0]["request"] == "GET /twin?q=1 HTTP/1.1"
    assert f'"{twin[0]["request"]}" {twin[0]["status"]} {twin[0]["bytes_sent"]}' in text[0]


def test_haproxy_balances_to_both_wsgi_servers_and_logs_text_and_json(testcloud):
    haproxy = testcloud.get("haproxy")
    # the shared cloud's other users may have loaded its servers: their health
    # checks say UP again (rise 2, every 2 s) before the request is sent
    wait_until(haproxy.servers_up, "every HAProxy server UP", 30)
    for name, url in haproxy.info["urls"].items():
        status, body = probes.http_request(url + f"/through-{name}")
        assert status == 200 and json.loads(body)["path"] == f"/through-{name}"
        text = logged(haproxy.logs["access"], f"/through-{name}")
        twin = [json.loads(line) for line in logged(haproxy.logs["json"], f"/through-{name}")]
        assert len(text) == len(twin) == 1
        record = twin[0]
        assert record["frontend_name"] == name and record["status_code"] == 200
        assert f"{name} {name}/{record['server_name']} " in text[0]
        assert f":{record['client_port']} [{record['request_date']}]" in text[0]
    status, metrics = probes.http_request(haproxy.info["metrics_url"])
    assert status == 200
    up = [
        line
        for line in metrics.decode().splitlines()
        if line.startswith("haproxy_server_status{") and 'state="UP"' in line
    ]
    assert any('proxy="uwsgi_api"' in line and line.endswith(" 1") for line in up)
    status, csv = probes.http_request(haproxy.info["stats_url"] + ";csv")
    assert status == 200 and csv.startswith(b"# pxname,svname")

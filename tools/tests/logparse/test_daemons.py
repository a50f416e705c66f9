"""The daemon sources of the log-fields/v1 corpus, written afresh by the real
daemons of the test cloud (HAProxy through the host's rsyslogd, RabbitMQ,
MariaDB, Apache; started once per session) with the same code that wrote the
committed corpus (generate_daemons.py), then parsed by every parser bundle:
each must give exactly the oracle's events for what the daemons wrote now,
not only for what they wrote once. The tests marked `openstack` do the same
with our own keystone, placement and glance in the mini cloud (`nox -s cloud`)."""

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest
from opsbundle import conformance, repo
from opsbundle.checks import Context
from opsbundle.conformance import log_fields
from opsbundle.conformance.oracle import expected
from opsbundle.interfaces import Registry

REPO = Path(__file__).resolve().parents[3]
GENERATOR = REPO / "interfaces/log-fields/v1/conformance/generate_daemons.py"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_daemons", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fresh(testcloud, tmp_path_factory):
    out = tmp_path_factory.mktemp("daemon-corpus")
    counts = _generator().write(testcloud, out)
    return out, counts


def test_each_daemon_wrote_records_and_their_second_view(fresh):
    out, counts = fresh
    assert all(n > 0 for n in counts.values()), counts
    sources = {p.name.split("-")[0] for p in out.iterdir()}
    assert sources == {"apache2", "haproxy", "rabbitmq", "mariadb", "dnsmasq", "openvswitch", "ovn",
                       "libvirt"}  # fmt: skip
    # dnsmasq answered the configured name and refused the others (no upstream)
    site = json.loads(next(out.glob("dnsmasq-*/dnsmasq/site.json")).read_text())
    assert site["answers"] == [0, 5, 5]
    # the HAProxy twin is HAProxy's own view of the same requests
    folder = next(out.glob("haproxy-*/haproxy-httplog/haproxy"))
    text = (folder / "haproxy.log").read_text().splitlines()
    sd = [json.loads(line)["httplog@1"] for line in (folder / "haproxy.sd.jsonl").open()]
    assert len(text) == len(sd) == counts["haproxy"]
    for line, values in zip(text, sd, strict=True):
        assert f'"{values["request"]}"' in line and f" {values['status']} " in line
    # the same events as Kolla's fluentd writes them: a JSON record a line
    kolla = next(out.glob("haproxy-*/haproxy-kolla/haproxy"))
    records = [json.loads(line) for line in (kolla / "haproxy_latest.log").open()]
    sd = [json.loads(line)["httplog@1"] for line in (kolla / "haproxy_latest.sd.jsonl").open()]
    assert len(records) == len(sd) == counts["haproxy"]
    for record, values in zip(records, sd, strict=True):
        assert record["programname"] == "haproxy" and record["log_level"] == "info"
        assert f"[{values['accept_date']}]" in record["Payload"]
        assert record["Payload"].endswith(f'"{values["request"]}"')


def test_libvirtds_journal_output_is_the_same_records_as_its_file(fresh):
    out, counts = fresh
    folder = next(out.glob("libvirt-*/libvirt/libvirt"))
    twins = [json.loads(line) for line in (folder / "libvirtd.twin.jsonl").open()]
    text = (folder / "libvirtd.log").read_text()
    assert len(twins) == counts["libvirt"] >= 3
    assert {t["_COMM"] for t in twins} == {"libvirtd"}
    for twin in twins:
        assert twin["MESSAGE"].rstrip("\n") in text
    # its start without D-Bus is one of them: libvirtd ran as it does on a host
    assert any("system bus" in t["MESSAGE"] for t in twins)


def test_mysqld_safes_lines_are_records_of_their_own_around_the_servers(fresh):
    out, _ = fresh
    log = next(out.glob("mariadb-*/mariadb-safe/mariadb/mariadb.log"))
    events = expected(log)
    safe = [e["message"] for e in events if e["program"] == "mysqld_safe"]
    assert len(safe) == 3 and "ended" in safe[1] and safe[2].startswith("Starting mariadbd")
    assert events[0]["program"] == "mysqld_safe" and events[-1]["program"] == "mariadb"


def test_vlogs_twin_is_the_same_records_by_sequence_number(fresh):
    out, _ = fresh
    logs = sorted(out.glob("*/openvswitch/*/*.log"))
    assert {p.stem for p in logs} >= {
        "ovsdb-server",
        "ovs-vswitchd",
        "ovn-northd",
        "ovn-controller",
    }
    for log in logs:
        text = [line.split("|")[1] for line in log.read_text().splitlines()]
        twin = [line.split("\t")[1] for line in log.with_suffix(".twin.tsv").open()]
        assert [int(n) for n in text] == [int(n) for n in twin], log
    controller = next(p for p in logs if p.stem == "ovn-controller")
    events = expected(controller)
    assert any(e["message"] == "Claiming lport sw-corpus-p1 for this chassis." for e in events)
    assert "pinctrl" in {e["logger"] for e in events}  # a record of another thread
    vswitchd = next(p for p in logs if p.stem == "ovs-vswitchd")
    assert {e["level"] for e in expected(vswitchd)} >= {"INFO", "WARNING"}


def test_rabbitmq_gives_one_event_per_line_of_a_multi_line_record(fresh):
    out, _ = fresh
    log = next(out.glob("rabbitmq-*/rabbitmq/rabbitmq/rabbit.log"))
    events = expected(log)
    assert len(events) == len(log.read_text().splitlines())
    twins = [json.loads(line) for line in log.with_name("rabbit.twin.jsonl").open()]
    assert any("\n" in t["msg"] for t in twins)  # the start banner, the plugin list


def every_parser_bundle_gives_the_oracles_events(out: Path, at_least: int) -> None:
    ctx = Context(REPO, Registry(REPO), {b.ref: b for b in repo.discover(REPO)})
    bundles = list(conformance.implementations(ctx, "log-fields/v1", None))
    assert len(bundles) == 4
    results = log_fields.run(ctx, bundles, None, out)
    failed = [f"{r.bundle} {r.case}: {r.detail}" for r in results if not r.ok]
    assert failed == []
    per_bundle = {b.ref: sum(r.bundle == b.ref for r in results) for b in bundles}
    assert len(set(per_bundle.values())) == 1 and min(per_bundle.values()) >= at_least


def test_every_parser_bundle_gives_the_oracles_events_for_what_the_daemons_wrote(fresh):
    every_parser_bundle_gives_the_oracles_events(fresh[0], 50)


# ----- the mini cloud: our own debs' services (nox -s cloud)


@pytest.fixture(scope="module")
def fresh_cloud(testcloud, tmp_path_factory):
    testcloud.up(["openstack"])
    out = tmp_path_factory.mktemp("cloud-corpus")
    made: list = []
    counts = {"openstack": _generator().openstack(testcloud, out, made=made)}  # from now
    return out, counts, made


@pytest.mark.openstack
def test_the_requests_were_answered_and_some_refused(fresh_cloud):
    _, _, made = fresh_cloud
    statuses = {(name, status // 100) for name, _, _, status in made}
    for name in ("keystone", "placement", "glance"):
        assert (name, 2) in statuses and (name, 4) in statuses, made


@pytest.mark.openstack
def test_each_service_wrote_its_records_and_oslo_logs_json_twin_of_them(fresh_cloud):
    out, counts, _ = fresh_cloud
    sources = sorted(p.name.split("-")[0] for p in out.iterdir())
    assert sources == ["glance", "keystone", "placement", "uwsgi"]
    for log in out.glob("*/oslo-service/*/*.log"):
        twins = [json.loads(line) for line in log.with_name(f"{log.stem}.twin.jsonl").open()]
        assert twins, f"{log}: no records"
        text = log.read_text(encoding="utf-8")
        at = 0
        for twin in twins:  # each JSON record is one of the text's, in the same order
            start = (
                f"{twin['asctime']}.{int(twin['msecs']):03d} {twin['process']} {twin['levelname']}"
            )
            at = text.index(f"{start} {twin['name']} ", at) + 1
            assert twin["message"].split("\n")[0] in text[at:]
    site = json.loads(next(out.glob("keystone-*/oslo-service/site.json")).read_text())
    assert site["oslo.log"] and "%(user_identity)s" in site["logging_context_format_string"]
    assert counts["openstack"] == sum(
        len(p.read_text().splitlines())
        for p in [*out.glob("*/oslo-service/*/*.twin.jsonl"), *out.glob("uwsgi-*/uwsgi/*/*.log")]
    )


@pytest.mark.openstack
def test_uwsgi_logged_each_request_to_its_services_as_the_client_saw_it(fresh_cloud):
    """uwsgi has no second view of its log: the oracle reads its printf
    layout; here that reading is held against what the client sent and got."""
    out, _, made = fresh_cloud
    logged = Counter(
        (e["service"], e["http_method"], e["http_path"], e["http_status"])
        for log in out.glob("uwsgi-*/uwsgi/*/*.log")
        for e in expected(log)
        if not e.get("unparsed")
    )
    asked = Counter((n, m, p, s) for n, m, p, s in made if n in ("keystone", "placement"))
    assert asked and not asked - logged, (asked, logged)


@pytest.mark.openstack
def test_every_parser_bundle_gives_the_oracles_events_for_what_the_services_wrote(fresh_cloud):
    every_parser_bundle_gives_the_oracles_events(fresh_cloud[0], 10)

"""The daemon sources of the log-fields/v1 corpus, written afresh by the real
daemons of the test cloud (HAProxy through the host's rsyslogd, RabbitMQ,
MariaDB, Apache; started once per session) with the same code that wrote the
committed corpus (generate_daemons.py), then parsed by every parser bundle:
each must give exactly the oracle's events for what the daemons wrote now,
not only for what they wrote once."""

import importlib.util
import json
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
    assert sources == {"apache2", "haproxy", "rabbitmq", "mariadb"}
    # the HAProxy twin is HAProxy's own view of the same requests
    folder = next(out.glob("haproxy-*/haproxy-httplog/haproxy"))
    text = (folder / "haproxy.log").read_text().splitlines()
    sd = [json.loads(line)["httplog@1"] for line in (folder / "haproxy.sd.jsonl").open()]
    assert len(text) == len(sd) == counts["haproxy"]
    for line, values in zip(text, sd, strict=True):
        assert f'"{values["request"]}"' in line and f" {values['status']} " in line


def test_rabbitmq_gives_one_event_per_line_of_a_multi_line_record(fresh):
    out, _ = fresh
    log = next(out.glob("rabbitmq-*/rabbitmq/rabbitmq/rabbit.log"))
    events = expected(log)
    assert len(events) == len(log.read_text().splitlines())
    twins = [json.loads(line) for line in log.with_name("rabbit.twin.jsonl").open()]
    assert any("\n" in t["msg"] for t in twins)  # the start banner, the plugin list


def test_every_parser_bundle_gives_the_oracles_events_for_what_the_daemons_wrote(fresh):
    out, _ = fresh
    ctx = Context(REPO, Registry(REPO), {b.ref: b for b in repo.discover(REPO)})
    bundles = list(conformance.implementations(ctx, "log-fields/v1", None))
    assert len(bundles) == 4
    results = log_fields.run(ctx, bundles, None, out)
    failed = [f"{r.bundle} {r.case}: {r.detail}" for r in results if not r.ok]
    assert failed == []
    per_bundle = {b.ref: sum(r.bundle == b.ref for r in results) for b in bundles}
    assert len(set(per_bundle.values())) == 1 and min(per_bundle.values()) > 50

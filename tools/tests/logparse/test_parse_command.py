"""`opsbundle parse`: JSON lines out, clear errors and exit 1 on bad input."""

import io
import json
from pathlib import Path

import pytest
from opsbundle import cli
from opsbundle.conformance.oracle import expected

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "interfaces/log-fields/v1/conformance/corpus"
SAMPLES = CORPUS / "oslo.log-8.3.2"
BUNDLES = ["logging/rsyslog", "logging/fluentd", "logging/logstash", "logging/splunk"]


def _parse(capsys, *args):
    code = cli.main(["parse", "--root", str(REPO), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_file_gives_one_json_event_per_record(capsys):
    sample = SAMPLES / "oslo-traceback/nova/nova-compute.log"
    code, out, err = _parse(capsys, "logging/splunk", str(sample))
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert events == expected(sample)
    assert len(sample.read_text().splitlines()) > len(events) == 5


def test_stdin_is_read_as_nova_api(capsys, monkeypatch):
    line = (SAMPLES / "oslo-no-context/nova/nova-compute.log").read_text().splitlines()[0]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(line.encode() + b"\n")))
    code, out, err = _parse(capsys, "logging/fluentd")
    assert code == 0, err
    event = json.loads(out)
    assert (event["program"], event["level"], event["message"]) == (
        "nova-api",
        "INFO",
        "Periodic task run without a request",
    )


def test_as_picks_the_input(capsys):
    sample = CORPUS / "documented/mariadb-galera/mariadb/mariadb.log"
    code, out, _ = _parse(capsys, "splunk", str(sample), "--as", "/var/log/nova/nova-api.log")
    assert code == 0
    assert all(json.loads(line).get("unparsed") for line in out.splitlines())


def test_usage_errors_are_one_line_and_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.log"
    bad.write_bytes(b"\xff\xfe\n")
    cases = [
        (["logging/fluentd", str(tmp_path / "missing.log")], "cannot read"),
        (["logging/fluentd", str(bad)], "not UTF-8"),
        (["logging/fluentd", str(bad), "--as", "/srv/other.log"], "not UTF-8"),
    ]
    cases += [
        (["logging/fluentd", str(bad), "--set", "log_layout"], "expected KEY=VALUE"),
        (["logging/fluentd", str(bad), "--set", "aggregator_port=x"], "wants int"),
        (["logging/fluentd", str(bad), "--values", str(tmp_path / "no.yaml")], "no.yaml"),
    ]
    for args, message in cases:
        code, out, err = _parse(capsys, *args)
        assert (code, out) == (2, ""), args
        assert message in err and "Traceback" not in err


def test_a_path_no_input_reads_is_refused_naming_the_inputs(capsys, tmp_path):
    log = tmp_path / "x.log"
    log.write_text("hello\n")
    code, out, err = _parse(capsys, "logging/splunk", str(log), "--as", "/srv/x.log")
    assert (code, out) == (2, "")
    assert "no input of the bundle reads /srv/x.log; its inputs read:" in err
    assert "/var/log/nova/*.log" in err and "/var/log/haproxy/*.log" in err


def test_a_site_parses_with_its_own_layout_and_services(capsys, tmp_path):
    """The bundle's example layout is Debian's; a kolla site says so."""
    sample = SAMPLES / "oslo-none-global/nova/nova-compute.log"
    kolla = "/var/log/kolla/nova/x.log"
    code, _, err = _parse(capsys, "logging/splunk", str(sample), "--as", kolla)
    assert code == 2 and f"no input of the bundle reads {kolla}" in err
    values = tmp_path / "site.yaml"
    values.write_text("log_layout: kolla\n")
    site = ["--values", str(values), "--as", kolla]
    code, out, err = _parse(capsys, "logging/splunk", str(sample), *site)
    assert code == 0, err
    assert [json.loads(line)["program"] for line in out.splitlines()] == ["x", "x"]
    code, _, err = _parse(
        capsys, "logging/splunk", str(sample), *site, "--set", "log_services=[keystone]"
    )
    assert code == 2 and "/var/log/kolla/keystone/*.log" in err
    assert "/var/log/kolla/nova/*.log" not in err


def test_the_whole_stream_is_parsed_with_flat_memory(capsys, tmp_path):
    """A log much larger than one read: every record comes out, in order."""
    one = (SAMPLES / "oslo-traceback/nova/nova-compute.log").read_bytes()
    big = tmp_path / "nova-compute.log"
    with big.open("wb") as f:
        for _ in range(3000):  # ~ 13 MB, many reads of 1 MiB
            f.write(one)
    code, out, err = _parse(
        capsys, "logging/splunk", str(big), "--as", "/var/log/nova/nova-compute.log"
    )
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 3000 * 5
    assert events[-5:] == expected(SAMPLES / "oslo-traceback/nova/nova-compute.log")


def test_a_bundle_without_log_fields_is_refused(capsys, repo_copy):
    manifest = repo_copy / "logging/splunk/manifest.yaml"
    text = manifest.read_text()
    start = text.index("  log-fields/v1:")
    manifest.write_text(text[:start] + text[text.index("services:") :])
    code = cli.main(["parse", "--root", str(repo_copy), "logging/splunk", str(manifest)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert "logging/splunk does not implement log-fields/v1" in err


@pytest.mark.parametrize("bundle", BUNDLES)
def test_a_kolla_uwsgi_log_is_a_line_a_record_never_folded_as_oslo_logs(capsys, tmp_path, bundle):
    """Kolla's uwsgi writes /var/log/kolla/<role>/<service>-uwsgi.log (its
    logto2) beside the service's oslo.log file: each line is its own event
    (a request, parsed; uwsgi's own messages, unparsed), and the oslo.log
    file beside it still folds its tracebacks."""
    uwsgi = next(CORPUS.glob("uwsgi-*/uwsgi/keystone/keystone-api-uwsgi.log"))
    values = tmp_path / "site.yaml"
    values.write_text("log_layout: kolla\nlog_services: [keystone]\n")
    site = ["--values", str(values), "--as", "/var/log/kolla/keystone/keystone-uwsgi.log"]
    code, out, err = _parse(capsys, bundle, str(uwsgi), *site)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["program"] for e in events] == ["keystone-uwsgi"] * len(events)
    assert len(events) == len(uwsgi.read_text().splitlines())
    requests = [e for e in events if not e.get("unparsed")]
    assert requests and all(e["http_status"] and e["pid"] for e in requests)
    oslo = SAMPLES / "oslo-traceback/nova/nova-compute.log"
    site = ["--values", str(values), "--as", "/var/log/kolla/keystone/keystone.log"]
    code, out, err = _parse(capsys, bundle, str(oslo), *site)
    assert code == 0, err
    assert len(out.splitlines()) == len(expected(oslo))


@pytest.mark.parametrize("bundle", BUNDLES)
def test_the_command_writes_its_events_to_its_own_stdout(bundle):
    """As a shell runs it: stdout is file descriptor 1, which the Ruby
    runners' own stdout (their answers to us) must not be taken for."""
    import subprocess
    import sys

    sample = SAMPLES / "oslo-debug/nova/nova-compute.log"
    done = subprocess.run(
        [sys.executable, "-m", "opsbundle", "parse", "--root", str(REPO), bundle, str(sample)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == expected(sample)


def test_a_journal_export_is_parsed_as_the_journal_holds_it(capsys):
    export = CORPUS / "journald-252/oslo-traceback/nova/nova-compute.export"
    for bundle in ("logging/rsyslog", "logging/fluentd"):
        code, out, err = _parse(capsys, bundle, str(export))
        assert code == 0, err
        assert [json.loads(line) for line in out.splitlines()] == expected(export)

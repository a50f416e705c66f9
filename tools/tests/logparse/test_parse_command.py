"""`opsbundle parse`: JSON lines out, clear errors and exit 1 on bad input."""

import io
import json
from pathlib import Path

from opsbundle import cli
from opsbundle.conformance.oracle import expected

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "interfaces/log-fields/v1/conformance/corpus"
SAMPLES = CORPUS / "oslo.log-8.3.2"


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


def test_errors_are_one_line_and_exit_1(capsys, tmp_path):
    bad = tmp_path / "bad.log"
    bad.write_bytes(b"\xff\xfe\n")
    cases = [
        (["logging/fluentd", str(tmp_path / "missing.log")], "cannot read"),
        (["logging/fluentd", str(bad)], "not UTF-8"),
        (["logging/fluentd", str(bad), "--as", "/srv/other.log"], "not UTF-8"),
    ]
    for args, message in cases:
        code, out, err = _parse(capsys, *args)
        assert (code, out) == (1, ""), args
        assert message in err and "Traceback" not in err


def test_a_path_no_input_reads_is_refused(capsys, tmp_path):
    log = tmp_path / "x.log"
    log.write_text("hello\n")
    code, out, err = _parse(capsys, "logging/splunk", str(log), "--as", "/srv/x.log")
    assert (code, out) == (1, "")
    assert "no input of the bundle reads /srv/x.log" in err


def test_a_bundle_without_log_fields_is_refused(capsys, repo_copy):
    manifest = repo_copy / "logging/splunk/manifest.yaml"
    text = manifest.read_text()
    start = text.index("  log-fields/v1:")
    manifest.write_text(text[:start] + text[text.index("services:") :])
    code = cli.main(["parse", "--root", str(repo_copy), "logging/splunk", str(manifest)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert "logging/splunk does not implement log-fields/v1" in err

"""The systemd journal as a source (logparse.journal): the corpus's exports
become real journal files, the bundles that read the journal read them in a
namespace of their own, and a journal reader that gets a record wrong fails."""

import json
import subprocess
from pathlib import Path

import pytest
from opsbundle import conformance, logparse, repo
from opsbundle.checks import Context
from opsbundle.conformance import log_fields
from opsbundle.conformance.oracle import expected
from opsbundle.interfaces import Registry
from opsbundle.logparse import journal, rsyslog

REPO = Path(__file__).resolve().parents[3]
CORPUS = log_fields.corpus(REPO)
TRACEBACK = CORPUS / "journald-252" / "oslo-traceback" / "nova" / "nova-compute.export"


def _ctx(root: Path = REPO) -> Context:
    return Context(root, Registry(root), {b.ref: b for b in repo.discover(root)})


def _entries(folder: Path) -> list[dict]:
    done = subprocess.run(["journalctl", "-D", str(folder), "-o", "json", "--all", "--no-pager"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_every_journal_case_has_its_twin_and_as_many_entries():
    cases = [p for _, p in log_fields.samples(REPO, journal_too=True) if journal.is_case(p.name)]
    assert len(cases) >= 11
    for export in cases:
        assert journal.entries(export.read_bytes()) == len(expected(export)) > 0, export


def test_the_journal_written_from_an_export_holds_its_entries_then_the_sentinel(tmp_path):
    folder = journal.write(TRACEBACK, "nova-compute", tmp_path, "the end")
    entries = _entries(folder)
    twins = [json.loads(line) for line in TRACEBACK.with_name("nova-compute.twin.jsonl")
             .read_text().splitlines()]  # fmt: skip
    assert len(entries) == len(twins) + 1
    assert entries[-1]["MESSAGE"] == "the end"
    assert {e["SYSLOG_IDENTIFIER"] for e in entries} == {"nova-compute"}
    # what oslo.log's journal handler sent: the record as its text formatter writes it
    for entry, twin in zip(entries, twins, strict=False):
        assert entry["MESSAGE"].split(" ", 5)[3:5] == [twin["levelname"], twin["name"]]
        assert entry["LOGGER_NAME"] == twin["name"]
    # one entry is one whole record: the traceback's lines are in it
    assert (
        "\n" in entries[0]["MESSAGE"]
        and "Traceback (most recent call last):" in entries[0]["MESSAGE"]
    )


def test_a_bundle_reads_the_journal_only_for_the_services_said_to_log_there():
    ctx = _ctx()
    bundle = ctx.bundle("logging/rsyslog")
    assert logparse.reads_journal(bundle)
    plain = {**logparse.render_values(bundle), "journal_services": []}
    with logparse.rendered(ctx, bundle, plain) as out:
        assert not [i for i in rsyslog.read(out) if i.extra.get("journal")]
    with logparse.rendered(ctx, bundle, logparse.render_values(bundle)) as out:
        assert len([i for i in rsyslog.read(out) if i.extra.get("journal")]) == 1
    assert logparse.reads_journal(ctx.bundle("logging/fluentd"))
    assert not logparse.reads_journal(ctx.bundle("logging/splunk"))


RSYSLOG = "logging/rsyslog/files/rsyslog.conf.j2"
FLUENTD = "logging/fluentd/files/fluent.conf.j2"


@pytest.mark.parametrize(
    ("file", "old", "new", "why"),
    [
        # $msg: imjournal escapes its line breaks (#012), tracebacks are not split off
        (RSYSLOG, 'variable="$.record"', "", "traceback"),
        # the journal's fields left under $!, whose names are not case-sensitive:
        # the journal's CODE_LINE is shipped as the contract's code_line
        (RSYSLOG, "    unset $!;\n", "", "code_line"),
        # the new tag's parts swapped: service and program swapped
        (FLUENTD, "journal.$2.$1.journal", "journal.$1.$2.journal", "service"),
        # the identifier not mapped: rewrite_tag_filter finds no key, no record
        (
            FLUENTD,
            '"SYSLOG_IDENTIFIER": "identifier"',
            '"SYSLOG_IDENTIFIER": "ident"',
            "no such event",
        ),
        # an option the emulation does not know is refused, not skipped
        (
            FLUENTD,
            "    field_map_strict true\n",
            "    field_map_strict true\n    fields_lowercase true\n",
            "not emulated",
        ),
    ],
)
def test_a_journal_reader_that_gets_the_record_wrong_fails(repo_copy, file, old, new, why):
    conf = repo_copy / file
    text = conf.read_text()
    assert old in text
    conf.write_text(text.replace(old, new, 1))
    ctx = _ctx(repo_copy)
    ref = "/".join(file.split("/")[:2])
    bundles = list(conformance.implementations(ctx, "log-fields/v1", {ref}))
    results = log_fields.run(ctx, bundles, {"journald-252"})
    failed = [r for r in results if not r.ok]
    assert results and failed
    assert any(why in r.detail for r in failed)

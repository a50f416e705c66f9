"""The log-fields/v1 suite through every parser bundle, and proof that it
fails when a shipped pattern is broken."""

from pathlib import Path

import pytest
from opsbundle import conformance, repo
from opsbundle.checks import Context
from opsbundle.conformance import log_fields
from opsbundle.interfaces import Registry

REPO = Path(__file__).resolve().parents[3]
PARSERS = ["logging/fluentd", "logging/logstash", "logging/rsyslog", "logging/splunk"]
# the bundles that read the systemd journal (a journal_services parameter)
JOURNAL_READERS = {"logging/rsyslog", "logging/fluentd"}
READER = "logging/rsyslog"


# a broken bundle is caught on one oslo.log release and the documented formats
# as surely as on every release: the mutation tests run on those alone
SOME = {"oslo.log-8.3.2", "documented"}


def _run(root: Path, names=None, sources=SOME):
    dirs = repo.discover(root)
    ctx = Context(root, Registry(root), {b.ref: b for b in dirs})
    if sources is None:
        return conformance.run(ctx, ["log-fields/v1"], names)
    bundles = list(conformance.implementations(ctx, "log-fields/v1", names))
    return log_fields.run(ctx, bundles, sources)


def test_every_parser_bundle_passes_every_case():
    results = _run(REPO, sources=None)
    assert {r.bundle for r in results} >= set(PARSERS)
    failed = [f"{r.bundle} {r.case}: {r.detail}" for r in results if not r.ok]
    assert failed == []
    kinds = {r.kind for r in results}
    assert len(kinds) == len({k for k, _ in log_fields.samples(REPO)}) >= 14
    # every bundle ran every case of the log files; the journal's, the bundles reading it
    journal = sum(r.case.startswith("journald-") for r in results if r.bundle == READER)
    assert journal >= 35
    files = {b: sum(r.bundle == b and not r.case.startswith("journald-") for r in results)
             for b in PARSERS}  # fmt: skip
    assert len(set(files.values())) == 1
    for bundle in PARSERS:
        ran = sum(r.bundle == bundle and r.case.startswith("journald-") for r in results)
        assert ran == (journal if bundle in JOURNAL_READERS else 0), bundle


def test_matrix_counts_per_kind():
    results = _run(REPO, {"logging/splunk"})
    text = conformance.matrix(results)
    assert "oslo-context-8" in text and "logging/splunk" in text
    assert text.splitlines()[-1].startswith("ok:")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("bundle", "file", "old", "new", "reason"),
    [
        (
            "logging/fluentd",
            "files/fluent.conf.j2",
            r"(?<pid>\\d+) (?<level>",
            r"(?<pid>\\d+ (?<level>",
            "ruby rejects the pattern",
        ),
        (
            "logging/splunk",
            "files/transforms.conf",
            r"(?<level>[a-z]+)\]",
            r"(?<level>[a-z]+\]",
            "PCRE2 rejects the pattern",
        ),
        (
            "logging/logstash",
            "files/openstack.conf.j2",
            "%{POSINT:pid} %{LOGLEVEL:level}",
            "%{POSINTEGER:pid} %{LOGLEVEL:level}",
            "unknown grok pattern %{POSINTEGER}",
        ),
        (
            "logging/rsyslog",
            "files/rsyslog.conf.j2",
            "set $!service = $syslogtag;",
            "set $!service = $syslogtag",
            "rsyslogd -N1: rendered /etc/rsyslog.d/60-opsbundles-openstack.conf, line",
        ),
    ],
)
def test_a_broken_pattern_fails_every_case_with_the_reason(
    repo_copy, bundle, file, old, new, reason
):
    _replace(repo_copy / bundle / file, old, new)
    results = _run(repo_copy, {bundle})
    assert results and not any(r.ok for r in results)
    assert reason in results[0].detail
    assert f"{bundle}/{file}" in results[0].detail


@pytest.mark.parametrize(
    ("bundle", "file", "old", "new"),
    [
        (
            "logging/fluentd",
            "files/fluent.conf.j2",
            "(?:-|(?<user_id>\\\\S+)) (?:-|(?<project_id>\\\\S+))",
            "(?:-|(?<project_id>\\\\S+)) (?:-|(?<user_id>\\\\S+))",
        ),
        (
            "logging/logstash",
            "files/openstack.conf.j2",
            "(?:-|%{NOTSPACE:user_id}) (?:-|%{NOTSPACE:project_id})",
            "(?:-|%{NOTSPACE:project_id}) (?:-|%{NOTSPACE:user_id})",
        ),
        (
            "logging/splunk",
            "files/transforms.conf",
            "(?:-|(?<user_id>\\S+)) (?:-|(?<project_id>\\S+))",
            "(?:-|(?<project_id>\\S+)) (?:-|(?<user_id>\\S+))",
        ),
    ],
)
def test_a_wrong_field_order_is_caught_on_the_oslo_kinds(repo_copy, bundle, file, old, new):
    """The misalignment an old grok has on current logs: fields swapped, still matching."""
    _replace(repo_copy / bundle / file, old, new)
    results = _run(repo_copy, {bundle})
    failed = {r.kind for r in results if not r.ok}
    assert {"oslo-context-8", "oslo-context-6", "nova-request-log"} <= failed
    assert "apache-combined" not in failed
    assert any("user_id: got" in r.detail for r in results if not r.ok)


def _swap(text: str, one: str, other: str) -> str:
    return text.replace(one, "\0").replace(other, one).replace("\0", other)


@pytest.mark.parametrize(
    ("bundle", "file", "one", "other"),
    [
        ("logging/fluentd", "files/fluent.conf.j2", "${tag_parts[-3]}", "${tag_parts[-2]}"),
        ("logging/logstash", "files/openstack.conf.j2", "(?<service>", "(?<program>"),
        ("logging/splunk", "files/transforms.conf", "(?<service>", "(?<program>"),
    ],
)
def test_service_and_program_come_from_the_bundles_path_rule(repo_copy, bundle, file, one, other):
    path = repo_copy / bundle / file
    path.write_text(_swap(path.read_text(), one, other))
    results = _run(repo_copy, {bundle})
    failed = {r.kind for r in results if not r.ok}
    assert {"oslo-context-8", "apache-combined", "rabbitmq"} <= failed
    assert any("service: got 'nova-compute', want 'nova'" in r.detail for r in results)


@pytest.mark.parametrize(
    ("bundle", "file", "old", "new", "reason"),
    [
        (
            "logging/logstash",
            "files/openstack.conf.j2",
            'uppercase => ["level"]',
            'capitalize => ["level"]',
            "mutate option 'capitalize' is not emulated",
        ),
        (
            "logging/logstash",
            "files/openstack.conf.j2",
            'if "_grokparsefailure" in [tags] {',
            "if [level] {",
            'only `if "value" in [field]` is run here',
        ),
        (
            "logging/splunk",
            "files/props.conf.j2",
            "EVAL-unparsed = if(isnull(_ts), true(), null())",
            "EVAL-unparsed = mvindex(_ts, 0)",
            "function mvindex() is not one the bundle may use",
        ),
    ],
)
def test_a_directive_the_emulation_cannot_run_fails_with_the_reason(
    repo_copy, bundle, file, old, new, reason
):
    _replace(repo_copy / bundle / file, old, new)
    results = _run(repo_copy, {bundle})
    assert results and not any(r.ok for r in results)
    assert reason in results[0].detail


@pytest.mark.parametrize(
    ("bundle", "file", "old", "new", "kind", "field"),
    [
        # mutate renames before it substitutes: one block would leave the time as printed
        (
            "logging/logstash",
            "files/openstack.conf.j2",
            '"ts_local", " ", "T"]\n  }\n  mutate { rename => { "ts_local" => "timestamp" } }',
            '"ts_local", " ", "T"]\n    rename => { "ts_local" => "timestamp" }\n  }',
            "oslo-context-8",
            "timestamp",
        ),
        (
            "logging/splunk",
            "files/props.conf.j2",
            '"%Y-%m-%dT%H:%M:%S.%3N{{ zone }}"',
            '"%Y-%m-%d %H:%M:%S.%3N{{ zone }}"',
            "rabbitmq",
            "timestamp",
        ),
        (
            "logging/rsyslog",
            "files/rsyslog.conf.j2",
            'set $!http_duration_s = ($!duration / 1000) & "."',
            'set $!http_duration_s = ($!duration / 100) & "."',
            "haproxy-httplog",
            "http_duration_s",
        ),
    ],
)
def test_the_shipped_normalisation_is_what_is_compared(
    repo_copy, bundle, file, old, new, kind, field
):
    _replace(repo_copy / bundle / file, old, new)
    results = _run(repo_copy, {bundle})
    failed = [r for r in results if not r.ok]
    assert failed and kind in {r.kind for r in failed}
    assert any(f"{field}: got" in r.detail for r in failed)


def test_the_corpus_count_by_source_adds_up_to_the_cases_of_each_implementation():
    import importlib.util

    script = REPO / "interfaces/log-fields/v1/conformance/count.py"
    spec = importlib.util.spec_from_file_location("count", script)
    count = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(count)
    counts = count.by_source(REPO)
    assert {"keystone-22.0.2", "uwsgi-2.0.21", "openvswitch-3.1.0", "dnsmasq-2.90"} <= set(counts)
    assert sum(files for files, _ in counts.values()) == len(
        log_fields.samples(REPO, journal_too=True)
    )
    ctx = Context(REPO, Registry(REPO), {b.ref: b for b in repo.discover(REPO)})
    splunk = [b for b in conformance.implementations(ctx, "log-fields/v1", None)
              if b.ref == "logging/splunk"]  # fmt: skip
    results = log_fields.run(ctx, splunk)  # splunk reads no journal
    files_only = {s: c for s, c in counts.items() if not s.startswith("journald-")}
    assert len(results) == sum(events for _, events in files_only.values())
    assert counts["journald-252"][1] >= 35

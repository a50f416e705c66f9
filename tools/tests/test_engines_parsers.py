"""validate runs the parser bundles' rules on their engines (NAT001 when broken)."""

from pathlib import Path

from opsbundle.validate import Options, run

REPO = Path(__file__).resolve().parents[2]


def test_the_repository_validates_with_every_engine_required():
    report = run(REPO, Options(cache=False, require_native=True))
    assert report.errors == []
    notes = " ".join(report.notes)
    for engine in ("ruby checked", "joni checked", "pcre2 checked", "rsyslogd checked"):
        assert engine in notes


def test_a_pattern_the_engine_rejects_is_nat001(repo_copy):
    conf = repo_copy / "logging/splunk/files/transforms.conf"
    conf.write_text(conf.read_text().replace("(?<level>[a-z]+)\\]", "(?<level>[a-z]+\\]", 1))
    report = run(repo_copy, Options(names=["logging/splunk"], cache=False, require_native=True))
    (finding,) = report.errors
    assert finding.code == "NAT001"
    assert "PCRE2 rejects the pattern" in finding.message
    assert "openstack_rabbitmq_fields" in finding.message


def test_a_broken_rulebase_is_nat001_on_the_rulebase(repo_copy):
    rulebase = repo_copy / "logging/rsyslog/files/openstack.rulebase"
    rulebase.write_text(rulebase.read_text().replace("%-:quoted-string%", "%-:quoted-strng%", 1))
    report = run(repo_copy, Options(names=["logging/rsyslog"], cache=False, require_native=True))
    assert report.errors
    finding = report.errors[0]
    assert finding.code == "NAT001"
    assert finding.path == "logging/rsyslog/files/openstack.rulebase"
    assert "invalid field type 'quoted-strng'" in finding.message
    assert "/etc/rsyslog.d/opsbundles-openstack.rulebase" in finding.message


def test_a_regexp_of_the_conversions_the_engine_rejects_is_nat001(repo_copy):
    """fluentd's record_transformer regexp and logstash's gsub are compiled too."""
    fluentd = repo_copy / "logging/fluentd/files/fluent.conf.j2"
    fluentd.write_text(fluentd.read_text().replace(".gsub(/\\n(?=\\n)/", ".gsub(/\\n(?=\\n/", 1))
    logstash = repo_copy / "logging/logstash/files/openstack.conf.j2"
    logstash.write_text(logstash.read_text().replace('"\\n(?=\\n)"', '"\\n(?=\\n"', 1))
    names = ["logging/fluentd", "logging/logstash"]
    report = run(repo_copy, Options(names=names, cache=False, require_native=True))
    assert sorted(f.bundle for f in report.errors) == names
    assert all(f.code == "NAT001" for f in report.errors)

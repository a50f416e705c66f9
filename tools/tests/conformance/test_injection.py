"""conformance/injection.py on copies of the shipped bundles: clean as shipped, and
failing when a template writes a secret raw or an escape stops escaping."""

from __future__ import annotations

import pytest
from opsbundle.checks import Context
from opsbundle.conformance import injection as suite
from opsbundle.templating import environment


def _run(root, *refs):
    ctx = Context.for_repo(root)
    return suite.run(ctx, [ctx.bundle(r) for r in refs])


def test_shipped_bundles_refuse_or_hold_every_payload(repo_copy):
    results = _run(repo_copy, "monitoring/prometheus", "packaging/rpm", "logging/rsyslog")
    figures = suite.figures(results)
    assert figures["failed"] == 0, [r for r in results if not r.ok][:5]
    assert figures["executed"] == 0
    assert figures["payloads"] == 31
    assert figures["refused"] > 0 and figures["escaped"] > 0
    kinds = {(r.bundle, r.kind) for r in results}
    assert ("monitoring/prometheus", suite.ENGINE) in kinds
    assert ("logging/rsyslog", suite.LANGUAGE) in kinds  # rsyslogd ran
    assert ("packaging/rpm", suite.LANGUAGE) in kinds  # rpmspec, make...
    cases = {r.case for r in results if r.bundle == "packaging/rpm" and r.kind == suite.REFUSED}
    assert "package_release rpm-macro" in cases  # a build parameter, refused by its format


def test_a_secret_written_raw_is_caught(repo_copy):
    clouds = repo_copy / "monitoring/prometheus/files/clouds.yaml.j2"
    text = clouds.read_text()
    clouds.write_text(
        text.replace("{{ openstack_password | yaml_str }}", "'{{ openstack_password }}'")
    )
    failed = [r for r in _run(repo_copy, "monitoring/prometheus") if not r.ok]
    raw = [r for r in failed if "written unescaped" in r.detail]
    assert len(raw) >= 20  # every payload the format lets through
    assert {r.case.split()[0] for r in raw} == {"openstack_password"}


@pytest.fixture
def broken_yaml_escape():
    env = environment()
    good = env.filters["yaml_str"]
    env.filters["yaml_str"] = lambda value: f"'{value}'"
    yield
    env.filters["yaml_str"] = good


def test_an_escape_that_stops_escaping_is_caught(repo_copy, broken_yaml_escape):
    failed = [r for r in _run(repo_copy, "monitoring/zabbix") if not r.ok]
    assert failed
    assert any(r.kind in (suite.ENGINE, suite.ESCAPED) for r in failed)


def test_substitute_reaches_a_string_in_lists_and_maps():
    assert suite._substitute({"a": [1, "x"]}, "v") == ({"a": [1, "v"]}, "x")
    assert suite._substitute([], "v") == (["v"], "")
    assert suite._substitute("old", "v") == ("v", "old")

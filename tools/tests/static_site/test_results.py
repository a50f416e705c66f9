"""`opsbundle site --results FILE`: conformance results from a real run of
the suites, shown on each interface's page, failures with their detail; a
file that is not such a document is refused and nothing is written."""

from __future__ import annotations

import json
import re

import pytest
from conftest import build_repo, run_module
from opsbundle import conformance
from opsbundle.site.build import SiteError, build
from servicechecks_repo import copy_repo, edit

from .test_build import text

PROM = "monitoring/prometheus"


@pytest.fixture(scope="module")
def broken_prometheus(tmp_path_factory):
    """A copy of the repository whose prometheus alert for memcached is wrong,
    and what `opsbundle test --format json` says of it (the memcached-up
    cases fail among the passes)."""
    tmp = tmp_path_factory.mktemp("results")
    root = copy_repo(tmp, PROM)
    rule = "'memcached-up': 'probe_success{job=\"' ~ j.memcached ~ '\"} == 0"
    edit(root / PROM / "files/openstack.rules.yml.j2", rule, rule.replace("== 0", "== 1"))
    path = tmp / "results.json"
    done = run_module(
        "test",
        "--root",
        str(root),
        "--interface",
        "service-checks/v1",
        PROM,
        "--format",
        "json",
        cwd=tmp,
    )
    assert done.returncode == 1, done.stderr  # the broken alert fails its cases
    path.write_text(done.stdout, encoding="utf-8")
    document = json.loads(done.stdout)
    results = [
        conformance.Result(r["bundle"], r["kind"], r["case"], r["ok"], r["detail"])
        for suite in document["suites"]
        for r in suite["results"]
    ]
    failed = [r for r in results if not r.ok]
    # the broken alert fails its cases (in every variant) and nothing else does
    assert failed and {r.case.split()[0] for r in failed} == {"memcached-up"}
    assert len(results) > 100
    return root, path, results


def test_interface_page_shows_the_run(broken_prometheus, tmp_path):
    root, path, results = broken_prometheus
    out = tmp_path / "site"
    build(root, out, results=path)
    page = text(out / "interfaces" / "service-checks" / "v1.html")
    passed = sum(r.ok for r in results)
    assert f"From results.json: {passed} of {len(results)} cases pass." in page
    for kind in {r.kind for r in results}:
        rs = [r for r in results if r.kind == kind]
        assert f"{kind} {sum(r.ok for r in rs)}/{len(rs)}" in page
    for r in results:
        if not r.ok:
            assert f"{r.bundle} [{r.kind}] {r.case}: {' '.join(r.detail.split())}" in page
    summary = text(out / "results.html")
    assert f"{passed} passed, {len(results) - passed} failed" in summary
    bundle_page = text(out / "monitoring" / "prometheus.html")
    assert f"{passed} of {len(results)} cases pass" in bundle_page


def test_results_name_their_interface_or_are_attributed(tmp_path):
    """A result without `interface` belongs to the one suite its bundle
    implements; with it, to the interface it names."""
    root = build_repo(tmp_path, "good_collector")
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(
            {
                "results": [
                    {"bundle": "logging/collector", "kind": "k", "case": "c1", "ok": True},
                    {
                        "bundle": "logging/collector",
                        "kind": "k",
                        "case": "c2",
                        "status": "failed",
                        "detail": "boom",
                        "interface": "log-collection/v1",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "site"
    build(root, out, results=path)
    page = text(out / "interfaces" / "log-collection" / "v1.html")
    assert "1 of 1 cases pass" not in page and "0 of 1 cases pass" in page
    assert "logging/collector [k] c2: boom" in page
    assert "(unattributed)" in text(out / "results.html")  # c1: collector has no suite


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"format": "opsbundle-test/2", "suites": []}', "is not 'opsbundle-test/1'"),
        ('{"cases": []}', "expected a JSON list of results"),
        ("[3]", "result 1: not an object"),
        ('[{"bundle": "x", "kind": "k"}]', "result 1: no case"),
        ('[{"bundle": "x", "kind": "k", "case": "c", "ok": "yes"}]', "no 'ok' (true/false)"),
    ],
)
def test_a_bad_results_file_writes_nothing(tmp_path, content, message):
    root = build_repo(tmp_path, "good_minimal")
    path = tmp_path / "r.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SiteError, match=re.escape(message)):
        build(root, tmp_path / "out", results=path)
    done = run_module(
        "site",
        "--root",
        str(root),
        "-o",
        str(tmp_path / "out"),
        "--results",
        str(path),
        cwd=tmp_path,
    )
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_results_file_writes_nothing(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    done = run_module(
        "site",
        "--root",
        str(root),
        "-o",
        str(tmp_path / "out"),
        "--results",
        "nope.json",
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "nope.json: No such file" in done.stderr
    assert not (tmp_path / "out").exists()

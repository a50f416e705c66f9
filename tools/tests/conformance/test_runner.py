"""`opsbundle test`'s runner: jobs of one lane one after another, the rest side
by side in processes; progress as jobs finish; a summary that fits 100
columns, and the same results as JSON (opsbundle-test/1) and JUnit."""

from __future__ import annotations

import json
import os
import time
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from opsbundle import conformance
from opsbundle.cli import main
from opsbundle.conformance import report
from opsbundle.conformance.result import Result

from ..conftest import REAL_ROOT
from ..servicechecks_repo import context

LOG = "log-fields/v1"
PKG = "package-build/v2"


PAIRS = {"logging/rsyslog": "logging/splunk", "logging/splunk": "logging/rsyslog"}
SHARED = {"logging/fluentd": "logging/logstash", "logging/logstash": "logging/fluentd"}


def _fake_suite(interface: str, marks: Path):
    """A suite whose jobs leave a mark while they run. The jobs of PAIRS wait
    for each other's mark (so they pass only side by side); those of SHARED
    share a lane and look for each other's mark (which must never be there).
    Every case passes but one named 'broken'."""

    def run(ctx, bundles):
        (bundle,) = bundles
        mine = marks / bundle.ref.replace("/", "_")
        mine.touch()
        detail = {"pid": os.getpid()}
        if bundle.ref in PAIRS:
            other = marks / PAIRS[bundle.ref].replace("/", "_")
            deadline = time.monotonic() + 60
            while not other.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            detail["met"] = other.exists()
        if bundle.ref in SHARED:
            other = marks / SHARED[bundle.ref].replace("/", "_")
            detail["alone"] = not other.exists()
            time.sleep(0.2)
            detail["alone"] &= not other.exists()
        if bundle.ref not in PAIRS:  # a pair's mark stays: the other may not have looked yet
            mine.unlink()
        return [
            Result(bundle.ref, "kind a", "case 1", True, json.dumps(detail)),
            Result(bundle.ref, "kind b", "broken" if "splunk" in bundle.ref else "case 2",
                   "splunk" not in bundle.ref, "got \x1b[31mred\x1b[0m\x07 <&>"),
        ]  # fmt: skip

    lane = lambda b: "shared" if b.ref in SHARED else ""  # noqa: E731
    return types.SimpleNamespace(INTERFACE=interface, run=run, lane=lane)


@pytest.fixture()
def fake(monkeypatch, tmp_path):
    monkeypatch.setattr(conformance, "SUITES", {LOG: _fake_suite(LOG, tmp_path)})


def _detail(outcomes) -> dict:
    return {o.job.bundle: json.loads(o.results[0].detail) for o in outcomes}


def test_lanes_run_one_after_another_and_the_rest_side_by_side(fake):
    ctx = context(REAL_ROOT)
    jobs = conformance.jobs(ctx, [LOG])
    assert [j.bundle for j in jobs] == [
        "logging/fluentd", "logging/logstash", "logging/rsyslog", "logging/splunk",
    ]  # fmt: skip
    seen = []
    outcomes = conformance.run_parallel(ctx, jobs, 4, seen.append)
    assert [o.job for o in outcomes] == jobs  # in job order, whatever order they finished in
    assert sorted(o.job.bundle for o in seen) == sorted(j.bundle for j in jobs)
    detail = _detail(outcomes)
    pids = {d["pid"] for d in detail.values()}
    assert len(pids) >= 2 and os.getpid() not in pids
    assert detail["logging/rsyslog"]["met"] and detail["logging/splunk"]["met"]
    assert detail["logging/fluentd"]["alone"] and detail["logging/logstash"]["alone"]


def test_one_worker_runs_everything_here(monkeypatch, tmp_path):
    suite = _fake_suite(LOG, tmp_path)
    monkeypatch.setattr(conformance, "SUITES", {LOG: suite})
    monkeypatch.delitem(PAIRS, "logging/rsyslog")
    monkeypatch.delitem(PAIRS, "logging/splunk")
    ctx = context(REAL_ROOT)
    outcomes = conformance.run_parallel(ctx, conformance.jobs(ctx, [LOG]), 1)
    assert {d["pid"] for d in _detail(outcomes).values()} == {os.getpid()}
    assert sum(o.failed for o in outcomes) == 1


def test_a_suite_that_breaks_fails_its_job_only(monkeypatch):
    def broken(ctx, bundles):
        raise KeyError("no such field")

    monkeypatch.setattr(
        conformance, "SUITES", {LOG: types.SimpleNamespace(INTERFACE=LOG, run=broken)}
    )
    ctx = context(REAL_ROOT)
    outcomes = conformance.run_parallel(ctx, conformance.jobs(ctx, [LOG]), 2)
    assert len(outcomes) == 4 and all(o.failed == 1 for o in outcomes)
    assert "KeyError: 'no such field'" in outcomes[0].results[0].detail


def test_text_progress_json_and_junit(fake, capsys):
    root = str(REAL_ROOT)
    assert main(["test", "--root", root, "--interface", LOG]) == 1
    out, err = capsys.readouterr()
    progress = err.splitlines()
    assert len(progress) == 4 and all(line.startswith("[") for line in progress)
    assert any("logging/splunk: 1 passed, 1 FAILED" in line for line in progress)
    assert max(len(line) for line in progress) <= 100
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "FAIL logging/splunk [kind b] broken" in out
    assert "\x1b" not in out and "\\x1b[31m" in out  # a tool's colours shown, not obeyed
    assert out.splitlines()[-1].startswith("FAIL: 7 passed, 1 failed (4 suite runs")

    assert main(["test", "--root", root, "--interface", LOG, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == report.FORMAT and (doc["passed"], doc["failed"]) == (7, 1)
    assert [s["bundle"] for s in doc["suites"]][0] == "logging/fluentd"
    (broken,) = [r for s in doc["suites"] for r in s["results"] if not r["ok"]]
    assert broken == {
        "interface": LOG, "bundle": "logging/splunk", "kind": "kind b", "case": "broken",
        "ok": False, "detail": "got \x1b[31mred\x1b[0m\x07 <&>",
    }  # fmt: skip

    assert main(["test", "--root", root, "--interface", LOG, "--format", "junit"]) == 1
    tree = ET.fromstring(capsys.readouterr().out)  # control characters must not break the XML
    assert tree.get("tests") == "8" and tree.get("failures") == "1"
    (failure,) = tree.iter("failure")
    assert "red" in failure.text and "<&>" in failure.text


def test_the_real_suite_json_is_what_the_site_reads(capsys):
    assert main(["test", "--root", str(REAL_ROOT), "--interface", PKG, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {s["bundle"] for s in doc["suites"]} == {"packaging/deb", "packaging/rpm"}
    counted = sum(len(suite["results"]) for suite in doc["suites"])
    assert doc["failed"] == 0 and doc["passed"] == counted > 0
    for suite in doc["suites"]:
        assert suite["interface"] == PKG and suite["seconds"] >= 0
        assert all(r["interface"] == PKG and r["ok"] for r in suite["results"])


def test_the_longest_jobs_of_the_last_run_start_first(monkeypatch, tmp_path):
    monkeypatch.delitem(PAIRS, "logging/rsyslog")
    monkeypatch.delitem(PAIRS, "logging/splunk")
    monkeypatch.setattr(conformance, "SUITES", {LOG: _fake_suite(LOG, tmp_path)})
    ctx = context(REAL_ROOT)
    took = {f"{LOG} logging/fluentd": 1.0, f"{LOG} logging/logstash": 1.0,
            f"{LOG} logging/rsyslog": 0.5, f"{LOG} logging/splunk": 30.0}  # fmt: skip
    order = []
    conformance.run_parallel(ctx, conformance.jobs(ctx, [LOG]), 1, order.append, took)
    assert [o.job.bundle for o in order] == [
        "logging/splunk", "logging/fluentd", "logging/logstash", "logging/rsyslog",
    ]  # fmt: skip


def test_job_times_are_kept_as_data_and_bad_ones_ignored(tmp_path, monkeypatch, xdg_cache):
    path = Path(xdg_cache) / "opsbundle" / "test-seconds.json"
    assert report.durations() == {}
    path.parent.mkdir(parents=True, exist_ok=True)
    for junk in ("not json", "[1, 2]", '{"a": "slow", "b": -1}'):
        path.write_text(junk)
        assert report.durations() == {}
    path.write_text('{"x y": 2.5}')
    assert report.durations() == {"x y": 2.5}


def test_an_interface_without_a_suite_is_a_usage_error(capsys):
    """A typo (or a retired major version) must not pass as 'nothing to test'."""
    assert main(["test", "--root", str(REAL_ROOT), "--interface", "package-build/v1"]) == 2
    err = capsys.readouterr().err
    assert "no conformance suite for package-build/v1" in err and PKG in err

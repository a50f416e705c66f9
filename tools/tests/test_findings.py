"""findings.py: the code table, one finding's three renderings, and the report."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from conftest import BAD_FIXTURES, FIXTURES, GENERATED_CODES, TESTS
from opsbundle.findings import CODES, ERROR, WARNING, Finding, Report

# Codes of the native engines: they need a real tool installed, so no fixture
# here produces them (test_validate.py exercises their plumbing with stubs).
NATIVE = {"NAT001", "NAT002"}


def test_codes_are_well_formed():
    assert CODES, "the code table is empty"
    for code, (severity, title) in CODES.items():
        assert re.fullmatch(r"[A-Z]{3}\d{3}", code), code
        assert severity in (ERROR, WARNING), code
        assert title and title == title.strip(), code


def test_every_code_is_produced_by_some_test():
    produced = {e.code for e in BAD_FIXTURES.values()}
    produced |= {c for e in BAD_FIXTURES.values() for c in e.also}
    produced |= set(GENERATED_CODES)
    assert produced <= set(CODES), produced - set(CODES)
    missing = set(CODES) - NATIVE - produced
    assert not missing, f"no test produces {sorted(missing)}"


def test_bad_fixture_table_has_at_least_35_entries():
    assert len(BAD_FIXTURES) >= 35


def test_generated_codes_name_real_tests():
    for code, where in GENERATED_CODES.items():
        path, _, name = where.partition("::")
        source = (TESTS / path).read_text(encoding="utf-8")
        assert f"def {name}(" in source, (code, where)
        assert code in source, (code, where)


def test_every_stored_bad_fixture_is_in_the_table():
    on_disk = {p.name for p in FIXTURES.iterdir() if p.name.startswith("bad_")}
    # bad_many_errors is the "all findings at once" fixture, asserted in test_validate.py
    assert on_disk - set(BAD_FIXTURES) == {"bad_many_errors"}
    assert set(BAD_FIXTURES) <= on_disk


def test_warnings_are_the_documented_ones():
    warnings = {c for c, (sev, _) in CODES.items() if sev == WARNING}
    assert warnings == {"TPL005", "IFC002", "MAN004", "STK008"}


def test_finding_text_with_and_without_hint():
    f = Finding("PAR001", "logging/x/manifest.yaml", "secret has a default", 12, 5, "drop it")
    assert f.as_text() == (
        "logging/x/manifest.yaml:12:5: PAR001 secret has a default (hint: drop it)"
    )
    g = Finding("CHG001", "logging/x/changelog.yaml", "missing")
    assert g.as_text() == "logging/x/changelog.yaml:1:1: CHG001 missing"


def test_finding_dict_and_severity():
    f = Finding("TPL005", "p", "unused", 3, 4, "h", "logging/x")
    assert f.severity == WARNING
    assert f.as_dict() == {
        "code": "TPL005",
        "severity": "warning",
        "path": "p",
        "line": 3,
        "col": 4,
        "message": "unused",
        "hint": "h",
        "bundle": "logging/x",
    }


def _report() -> Report:
    return Report(
        checked=["logging/a", "logging/b", "logging/c"],
        findings=[
            Finding(
                "VOC001", "logging/b/manifest.yaml", "unknown service", 9, 3, bundle="logging/b"
            ),
            Finding("TPL005", "logging/a/manifest.yaml", "unused", 4, 3, bundle="logging/a"),
            Finding("FIL004", "logging/b/manifest.yaml", "relative", 2, 9, bundle="logging/b"),
            Finding(
                "PAR001",
                "logging/c/manifest.yaml",
                'a <secret> & "quoted" \u00e9',
                7,
                1,
                bundle="logging/c",
            ),
        ],
        notes=["2 bundle(s) changed since main"],
    )


def test_report_errors_warnings_and_failed():
    r = _report()
    assert [f.code for f in r.errors] == ["VOC001", "FIL004", "PAR001"]
    assert [f.code for f in r.warnings] == ["TPL005"]
    assert r.failed()
    only_warning = Report(checked=["x"], findings=[r.warnings[0]])
    assert not only_warning.failed()
    assert only_warning.failed(warnings_are_errors=True)
    assert not Report(checked=["x"]).failed(warnings_are_errors=True)


def test_report_sorts_by_path_line_col():
    r = _report()
    assert [(f.path, f.line) for f in r.sorted_findings()] == [
        ("logging/a/manifest.yaml", 4),
        ("logging/b/manifest.yaml", 2),
        ("logging/b/manifest.yaml", 9),
        ("logging/c/manifest.yaml", 7),
    ]


def test_report_summary_counts():
    assert _report().summary() == (
        "FAIL: 3 bundle(s) checked, 2 with errors; 3 error(s), 1 warning(s)"
    )
    assert Report(checked=["a"]).summary() == (
        "ok: 1 bundle(s) checked, 0 with errors; 0 error(s), 0 warning(s)"
    )


def test_report_text():
    lines = _report().as_text().splitlines()
    assert lines[0] == "logging/a/manifest.yaml:4:3: TPL005 unused"
    assert lines[-2] == "note: 2 bundle(s) changed since main"
    assert lines[-1].startswith("FAIL: 3 bundle(s) checked")
    for line in lines[:-2]:
        assert re.match(r"^[^:]+:\d+:\d+: [A-Z]{3}\d{3} ", line), line


def test_report_json():
    doc = json.loads(_report().as_json())
    assert doc["checked"] == ["logging/a", "logging/b", "logging/c"]
    assert doc["errors"] == 3 and doc["warnings"] == 1
    assert [f["code"] for f in doc["findings"]] == ["TPL005", "FIL004", "VOC001", "PAR001"]
    assert doc["notes"] == ["2 bundle(s) changed since main"]
    assert doc["summary"].startswith("FAIL")


def test_report_junit_is_well_formed_with_one_failure_per_error():
    tree = ET.fromstring(_report().as_junit())
    assert tree.tag == "testsuite"
    cases = {c.get("name"): c for c in tree.iter("testcase")}
    assert set(cases) == {"logging/a", "logging/b", "logging/c"}
    assert tree.get("tests") == "3"
    assert tree.get("failures") == "2"
    assert len(list(tree.iter("failure"))) == 3
    assert [f.get("type") for f in cases["logging/b"].iter("failure")] == ["FIL004", "VOC001"]
    assert cases["logging/a"].find("failure") is None
    assert "TPL005" in cases["logging/a"].find("system-out").text
    # markup in a message survives escaping
    (failure,) = cases["logging/c"].iter("failure")
    assert failure.get("message") == 'a <secret> & "quoted" \u00e9'
    assert 'a <secret> & "quoted"' in failure.text


def test_junit_lists_findings_outside_checked_bundles():
    r = Report(
        checked=["logging/a"],
        findings=[
            Finding("SCH001", "interfaces/x/v1/interface.yaml", "broken", bundle="interfaces")
        ],
    )
    tree = ET.fromstring(r.as_junit())
    names = [c.get("name") for c in tree.iter("testcase")]
    assert names == ["logging/a", "interfaces"]
    assert tree.get("failures") == "1"


def test_junit_and_text_hold_no_control_characters():
    """XML 1.0 cannot hold \\x01 even escaped; a terminal must not get ESC."""
    f = Finding(
        "PAR001", "logging/x\x1b[2J/manifest.yaml", "bad \x01 value \x1b]0;t\x07", bundle="b\x02"
    )
    report = Report(checked=["b\x02"], findings=[f])
    root = ET.fromstring(report.as_junit())
    failure = root.find("testcase/failure")
    assert "\\x01" in failure.get("message") and "\\x01" in failure.text
    assert root.find("testcase").get("name") == "b\\x02"
    text = report.as_text()
    assert not any(ch in text for ch in "\x01\x02\x07\x1b")
    assert "\\x1b[2J" in text

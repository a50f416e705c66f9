"""validate.py: one run over the chosen bundles, every family, one report."""

from __future__ import annotations

import json
import os
import shutil
import signal
import types
from pathlib import Path

import pytest
from conftest import (
    BAD_FIXTURES,
    GOOD_FIXTURES,
    REAL_ROOT,
    build_repo,
    fixture_ref,
    make_repo,
    of_bundle,
    place,
    validate,
)
from opsbundle import engines
from opsbundle import validate as validate_mod
from opsbundle.findings import Finding


@pytest.mark.parametrize("fixture", GOOD_FIXTURES)
def test_good_fixture_validates_with_zero_findings(tmp_path, fixture):
    root = build_repo(tmp_path, fixture)
    report = validate(root)
    assert fixture_ref(fixture) in report.checked
    assert [f.as_text() for f in report.findings] == []
    assert not report.failed(warnings_are_errors=True)


def test_all_good_fixtures_together(tmp_path):
    root = build_repo(tmp_path, *GOOD_FIXTURES)
    report = validate(root)
    assert report.checked == [
        "bundles/stack-demo",
        "logging/collector",
        "logging/minimal",
        "logging/templated",
    ]
    assert report.findings == []


def test_the_real_repository_bundles_validate(tmp_path):
    root = make_repo(tmp_path)
    for ref in ("logging/rsyslog", "bundles/openstack-logging"):
        if (REAL_ROOT / ref).is_dir():
            shutil.copytree(REAL_ROOT / ref, root / ref)
    report = validate(root)
    assert "logging/rsyslog" in report.checked
    assert [f.as_text() for f in report.findings] == []


def test_all_findings_are_reported_at_once(tmp_path):
    root = build_repo(tmp_path, "bad_many_errors")
    found = of_bundle(validate(root), "logging/many-errors")
    codes = {f.code for f in found}
    assert {"MAN001", "VOC001", "FIL004", "PAR001", "TPL002", "CHG001"} <= codes
    by_code = {f.code: f for f in found}
    assert by_code["MAN001"].line == 3
    assert by_code["VOC001"].line == 15
    assert by_code["PAR001"].line == 23
    assert by_code["TPL002"].path == "logging/many-errors/files/app.conf.j2"
    assert by_code["CHG001"].path == "logging/many-errors/changelog.yaml"


def test_every_bad_fixture_in_one_repository(tmp_path):
    """Fixtures do not leak into one another: validated together, each bundle
    still reports exactly its own expected code."""
    root = make_repo(tmp_path)
    for name in BAD_FIXTURES:
        place(root, name)
    report = validate(root)
    for name, exp in BAD_FIXTURES.items():
        codes = {f.code for f in of_bundle(report, fixture_ref(name))}
        assert codes == {exp.code, *exp.also}, (name, codes)
    assert not [f for f in report.findings if f.bundle == "interfaces"]


def test_names_select_bundles(tmp_path):
    root = build_repo(tmp_path, "good_minimal", "bad_relative_dest")
    report = validate(root, "minimal")
    assert report.checked == ["logging/minimal"]
    assert report.findings == []
    report = validate(root, "logging/relative-dest")
    assert report.checked == ["logging/relative-dest"]
    assert [f.code for f in report.findings] == ["FIL004"]


def test_findings_carry_their_bundle(tmp_path):
    root = build_repo(tmp_path, "bad_relative_dest", "bad_unknown_role")
    report = validate(root)
    assert {(f.bundle, f.code) for f in report.findings} == {
        ("logging/relative-dest", "FIL004"),
        ("logging/unknown-role", "VOC002"),
    }


def test_broken_interface_definition_is_reported(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    idir = root / "interfaces" / "half-done" / "v1"
    idir.mkdir(parents=True)
    (idir / "interface.yaml").write_text("name: half-done\nversion: 1\nstatus: maybe\nsummary: x\n")
    report = validate(root)
    (f,) = report.findings
    assert (f.code, f.path, f.bundle) == (
        "SCH001",
        "interfaces/half-done/v1/interface.yaml",
        "interfaces",
    )
    assert "status" in f.message
    assert report.failed()


def test_parallel_run_matches_serial(tmp_path, monkeypatch):
    root = make_repo(tmp_path)
    for name in list(BAD_FIXTURES)[:20] + ["good_minimal", "good_templated"]:
        place(root, name)
    serial = validate(root, jobs=1)
    monkeypatch.setattr(validate_mod, "PARALLEL_MIN", 2)
    parallel = validate(root, jobs=2)
    key = lambda r: sorted(f.as_dict().items() for f in r.findings)  # noqa: E731
    assert key(parallel) == key(serial)
    assert len(serial.findings) >= 20


class _WorkerSigterm:
    """A pipeline whose result is the SIGTERM handler of the process it ran in."""

    in_worker = False

    def __call__(self, todo):
        return (todo, os.getpid(), signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def test_parallel_workers_die_on_sigterm(monkeypatch):
    """The command's SIGTERM handler (SystemExit) must not reach the forked
    workers: Pool.terminate stops them with SIGTERM, and a worker whose
    handler only runs at its next Python instruction can stay blocked on the
    task queue's lock, which terminate holds, so the run hangs in join."""
    monkeypatch.setattr(validate_mod, "PARALLEL_MIN", 2)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)  # as the command does
    try:
        done = validate_mod._pipeline(_WorkerSigterm(), list(range(40)), jobs=2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert [d[0] for d in done] == list(range(40))
    assert {d[1] for d in done} - {os.getpid()}, "the pipeline ran in no worker"
    assert all(d[2] for d in done)


# --------------------------------------------------------------------------- result cache


def test_cache_replays_results_without_checking_again(tmp_path, monkeypatch, xdg_cache):
    root = build_repo(tmp_path, "bad_relative_dest", "good_minimal")
    first = validate(root, cache=True)
    assert [f.code for f in first.findings] == ["FIL004"]
    assert list((Path(xdg_cache) / "opsbundle").glob("validate-*.json"))

    def boom(*args, **kwargs):
        raise AssertionError("a cached bundle was checked again")

    monkeypatch.setattr(validate_mod._Pipeline, "__call__", boom)
    second = validate(root, cache=True)
    assert [f.as_dict() for f in second.findings] == [f.as_dict() for f in first.findings]


def test_cache_sees_an_edited_bundle(tmp_path):
    root = build_repo(tmp_path, "bad_relative_dest")
    assert [f.code for f in validate(root, cache=True).findings] == ["FIL004"]
    manifest = root / "logging/relative-dest/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("dest: etc/", "dest: /etc/"))
    assert validate(root, cache=True).findings == []


def test_cache_sees_a_changed_interface(tmp_path):
    root = build_repo(tmp_path, "bad_unknown_service")
    assert [f.code for f in validate(root, cache=True).findings] == ["VOC001"]
    vocab = root / "interfaces" / "vocabulary.yaml"
    vocab.write_text(vocab.read_text().replace("services:\n", "services:\n  nvoa: a new one\n"))
    assert validate(root, cache=True).findings == []


def test_corrupt_cache_is_a_cold_run(tmp_path, xdg_cache):
    root = build_repo(tmp_path, "bad_relative_dest")
    validate(root, cache=True)
    (cached,) = (Path(xdg_cache) / "opsbundle").glob("validate-*.json")
    cached.write_bytes(b"not a pickle")
    assert [f.code for f in validate(root, cache=True).findings] == ["FIL004"]


def test_no_cache_writes_nothing(tmp_path, xdg_cache):
    root = build_repo(tmp_path, "good_minimal")
    validate(root, cache=False)
    assert not (Path(xdg_cache) / "opsbundle").exists()


# --------------------------------------------------------------------------- native engines


def _real_rsyslog_repo(tmp_path):
    root = make_repo(tmp_path)
    shutil.copytree(REAL_ROOT / "logging" / "rsyslog", root / "logging" / "rsyslog")
    return root


def test_missing_engine_is_a_note_unless_required(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "missing", lambda engine: [engine.BINARY])
    root = _real_rsyslog_repo(tmp_path)
    report = validate(root, native=True)
    assert report.findings == []
    assert any("rsyslogd not installed" in n for n in report.notes)
    report = validate(root, native=True, require_native=True)
    assert [(f.code, f.bundle) for f in report.findings] == [("NAT002", "logging/rsyslog")]
    assert report.failed()


def test_no_native_skips_engines(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "missing", lambda engine: pytest.fail("engine consulted"))
    report = validate(_real_rsyslog_repo(tmp_path), native=False)
    assert report.findings == [] and report.notes == []


def test_engine_gets_rendered_files_of_clean_bundles_only(tmp_path, monkeypatch):
    seen = {}

    def check(batch, workdir):
        out = []
        for rendered in batch:
            for shown, path, dest in rendered.files:
                seen[dest] = path.read_text()
                out.append(Finding("NAT001", shown, f"fake: {dest}", bundle=rendered.ref))
        return out

    fake = types.SimpleNamespace(TOOL="demo-tool", BINARY="demo-tool", PACKAGE="demo", check=check)
    monkeypatch.setitem(engines.ENGINES, "demo-tool", fake)
    monkeypatch.setattr(engines, "missing", lambda engine: [])
    root = build_repo(tmp_path, "good_templated", "bad_relative_dest", "good_stack_demo")
    report = validate(root, native=True)
    nat = sorted((f.bundle, f.path) for f in report.findings if f.code == "NAT001")
    assert nat == [
        ("logging/collector", "logging/collector/files/collector.conf.j2"),
        ("logging/minimal", "logging/minimal/files/minimal.conf"),
        ("logging/templated", "logging/templated/files/instance.conf.j2"),
        ("logging/templated", "logging/templated/files/static.conf"),
    ]
    # rendered with the bundle's own defaults and examples
    assert "listen 8080\n" in seen["/etc/demo-tool/main.conf"]
    assert "/etc/demo-tool/app.conf" not in seen  # bad_relative_dest has errors: skipped


# --------------------------------------------------------------------------- progress


def test_a_long_run_says_how_far_it_is_on_stderr(tmp_path, monkeypatch, capsys):
    from opsbundle.cli import main

    monkeypatch.setattr(validate_mod, "PROGRESS_MIN", 3)
    root = _real_rsyslog_repo(tmp_path)
    for fixture in ("good_minimal", "good_templated", "bad_relative_dest"):
        place(root, fixture)
    assert main(["validate", "--root", str(root), "--no-cache", "--format", "json"]) == 1
    out, err = capsys.readouterr()
    json.loads(out)  # stdout stays the one report
    lines = err.splitlines()
    assert any(line.startswith("validate: 4/4 bundles checked (") for line in lines), lines
    assert any(line.startswith("validate: rsyslogd checked 1 bundle(s) (") for line in lines)


def test_a_short_run_prints_no_progress(tmp_path, capsys):
    from opsbundle.cli import main

    root = build_repo(tmp_path, "good_minimal")
    assert main(["validate", "--root", str(root), "--no-cache"]) == 0
    assert capsys.readouterr().err == ""

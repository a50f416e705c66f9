"""cache.py: the result cache is JSON data, and anything else in its place is
a cold run with one note, never a traceback and never code that runs."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
from conftest import build_repo, validate
from opsbundle import cache as cache_mod
from opsbundle.cli import main
from opsbundle.findings import Finding


def _cache_file(xdg_cache) -> Path:
    (found,) = (Path(xdg_cache) / "opsbundle").glob("validate-*.json")
    return found


def _warm(tmp_path, xdg_cache):
    root = build_repo(tmp_path, "bad_relative_dest", "good_minimal")
    first = validate(root, cache=True)
    assert [f.code for f in first.findings] == ["FIL004"]
    return root, _cache_file(xdg_cache)


def test_the_cache_is_json_data(tmp_path, xdg_cache):
    _, path = _warm(tmp_path, xdg_cache)
    stored = json.loads(path.read_text())
    assert stored["format"] == cache_mod.FORMAT
    (entry,) = [e for n, e in stored["tables"]["checks"].items() if n == "logging/relative-dest"]
    assert entry["findings"][0][0] == "FIL004"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


PAYLOADS = {
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: b"\x00\xff not json at all",
    "empty": lambda data: b"",
    "a pickle": lambda data: pickle.dumps({"base": "x", "entries": {}}),
    "another program's JSON": lambda data: b'{"version": 3, "items": []}',
    "a JSON list": lambda data: b"[1, 2, 3]",
    "an older format": lambda data: data.replace(cache_mod.FORMAT.encode(), b"opsbundle/1"),
    "a finding of the wrong shape": lambda data: data.replace(b'"FIL004"', b"4", 1),
    "an unknown code": lambda data: data.replace(b'"FIL004"', b'"XXX999"', 1),
    "deep nesting": lambda data: b"[" * 100_000 + b"]" * 100_000,
    "a key that is no string": lambda data: data.replace(b'"key":"', b'"key":["', 1),
}


@pytest.mark.parametrize("damage", sorted(PAYLOADS))
def test_a_damaged_cache_is_a_cold_run_with_one_note(tmp_path, xdg_cache, damage):
    root, path = _warm(tmp_path, xdg_cache)
    path.write_bytes(PAYLOADS[damage](path.read_bytes()))
    report = validate(root, cache=True)
    assert [f.code for f in report.findings] == ["FIL004"]  # checked afresh, same answer
    notes = [n for n in report.notes if "result cache" in n]
    assert len(notes) == 1, report.notes
    assert str(path) in notes[0]
    # and the next run is warm again, without a note
    again = validate(root, cache=True)
    assert [f.code for f in again.findings] == ["FIL004"]
    assert not [n for n in again.notes if "result cache" in n]


def test_a_cache_that_claims_other_findings_only_names_content(tmp_path, xdg_cache):
    """Whoever writes the cache can make it claim results for the content it
    names, nothing more: the content changes and the claim is gone."""
    root, path = _warm(tmp_path, xdg_cache)
    stored = json.loads(path.read_text())
    stored["tables"]["checks"]["logging/relative-dest"]["findings"] = []
    path.write_text(json.dumps(stored))
    assert validate(root, cache=True).findings == []  # the forged claim, for this content
    manifest = root / "logging/relative-dest/manifest.yaml"
    manifest.write_text(manifest.read_text() + "\n# edited\n")
    assert [f.code for f in validate(root, cache=True).findings] == ["FIL004"]


def test_a_fifo_in_place_of_the_cache_does_not_hang(tmp_path, xdg_cache):
    root, path = _warm(tmp_path, xdg_cache)
    path.unlink()
    os.mkfifo(path)
    report = validate(root, cache=True)
    assert [f.code for f in report.findings] == ["FIL004"]
    assert any("not a regular file" in n for n in report.notes)


def test_a_directory_in_place_of_the_cache(tmp_path, xdg_cache):
    root, path = _warm(tmp_path, xdg_cache)
    path.unlink()
    path.mkdir()
    report = validate(root, cache=True)
    assert [f.code for f in report.findings] == ["FIL004"]
    notes = [n for n in report.notes if "result cache" in n]
    assert len(notes) == 1


def test_an_oversized_cache_is_not_read(tmp_path, xdg_cache, monkeypatch):
    root, path = _warm(tmp_path, xdg_cache)
    monkeypatch.setattr(cache_mod, "MAX_BYTES", 10)
    report = validate(root, cache=True)
    assert [f.code for f in report.findings] == ["FIL004"]
    assert any("larger than" in n for n in report.notes)


def test_an_unwritable_cache_directory_is_one_note(tmp_path, monkeypatch, capsys):
    root = build_repo(tmp_path, "good_minimal")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    code = main(["validate", "--root", str(root), "--no-native"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    notes = [line for line in out.splitlines() if "result cache" in line]
    assert len(notes) == 1 and "cannot be written" in notes[0]


def test_findings_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    one = cache_mod.ResultCache(tmp_path)
    found = [Finding("NAT001", "logging/x/files/a.j2", "m\nlines ünïcode", 3, 4, "h", "logging/x")]
    one.put("engines", "rsyslog logging/x", "k", found)
    one.save()
    two = cache_mod.ResultCache(tmp_path)
    assert two.get("engines", "rsyslog logging/x", "k") == found
    assert two.get("engines", "rsyslog logging/x", "other key") is None
    assert two.notes == []


def test_entries_of_removed_bundles_are_dropped(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = cache_mod.ResultCache(tmp_path)
    first.put("checks", "logging/gone", "k", [])
    first.put("engines", "rsyslog logging/gone", "k", [])
    first.put("checks", "logging/here", "k", [])
    first.save({"logging/here"})
    last = cache_mod.ResultCache(tmp_path)
    assert last.get("checks", "logging/here", "k") == []
    assert last.get("checks", "logging/gone", "k") is None
    assert last.get("engines", "rsyslog logging/gone", "k") is None


def test_a_warm_run_writes_nothing(tmp_path, xdg_cache):
    root, path = _warm(tmp_path, xdg_cache)
    before = path.stat().st_mtime_ns, path.stat().st_ino
    validate(root, cache=True)
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before

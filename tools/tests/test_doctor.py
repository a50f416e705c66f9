"""doctor.py: every engine of the registry is listed with where it was found
or how to install it; the lookup honours OPSBUNDLE_NATIVE_PATH."""

from __future__ import annotations

import json

from conftest import REAL_ROOT, run_module
from opsbundle import doctor, engines


def test_every_engine_of_the_registry_is_listed():
    tools = {r["tool"] for r in doctor.rows()}
    assert set(engines.ENGINES) <= tools


def test_a_missing_program_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    monkeypatch.delenv(engines.NATIVE_PATH, raising=False)
    by_program = {r["program"]: r for r in doctor.rows()}
    nagios = by_program["nagios4"]
    assert nagios["found"] is None and nagios["install"] == "apt-get install nagios4-core"
    assert "MISSING  (apt-get install nagios4-core)" in doctor.as_text(list(by_program.values()))


def test_native_path_variable_finds_a_program(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "nagios4"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv(engines.NATIVE_PATH, str(fake.parent))
    by_program = {r["program"]: r for r in doctor.rows()}
    assert by_program["nagios4"]["found"] == str(fake)


def test_doctor_command_json(tmp_path):
    done = run_module("doctor", "--format", "json", cwd=REAL_ROOT)
    table = json.loads(done.stdout)
    assert done.returncode == (1 if any(not r["found"] for r in table) else 0)
    assert {"tool", "program", "found", "install"} == set(table[0])

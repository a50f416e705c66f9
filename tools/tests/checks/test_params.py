"""checks/params.py and bundle.py's typed views: parameters say what a
deployment must supply and never carry a secret."""

from __future__ import annotations

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, of_bundle, validate
from opsbundle import repo
from opsbundle.bundle import PLACEHOLDERS, load_bundle, type_matches


@pytest.mark.parametrize("fixture", bad_cases("PAR"))
def test_bad_params_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def test_secret_default_message_and_hint(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_secret_default")
    assert f.message == "secret parameter 'api_token' has a default"
    assert "never ships a secret" in f.hint


def test_type_mismatch_messages(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_default_type")
    assert f.message == "default '8080' of 'listen_port' is not of type int"
    (f,) = check_bad_fixture(tmp_path / "2", "bad_example_type")
    assert f.message == "example 'backend.example.org' of 'upstreams' is not of type list"


def test_secret_value_is_not_echoed_in_a_type_error(tmp_path):
    root = build_repo(tmp_path, "bad_secret_default")
    manifest = root / "logging/secret-default/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("default: hunter2-secret", "default: 12345"))
    found = of_bundle(validate(root), "logging/secret-default")
    assert sorted(f.code for f in found) == ["PAR001", "PAR002"]
    assert all("12345" not in f.as_text() for f in found)


def test_a_secret_without_required_and_with_a_default_reports_both(tmp_path):
    root = build_repo(tmp_path, "bad_secret_default")
    manifest = root / "logging/secret-default/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("    required: true\n", ""))
    found = of_bundle(validate(root), "logging/secret-default")
    assert sorted((f.code, f.line) for f in found) == [("PAR001", 22), ("PAR006", 17)]


def test_stack_setting_a_secret_is_par001(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_stack_secret_value")
    assert f.message == "the stack sets secret parameter 'api_token' of logging/templated"
    assert "hunter2" not in f.as_text()


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("str", "x", True),
        ("str", 1, False),
        ("int", 1, True),
        ("int", True, False),
        ("int", 1.5, False),
        ("float", 1.5, True),
        ("float", 1, True),
        ("float", False, False),
        ("bool", False, True),
        ("bool", 0, False),
        ("list", [], True),
        ("list", "a", False),
        ("map", {}, True),
        ("map", [], False),
    ],
)
def test_type_matches(kind, value, ok):
    assert type_matches(kind, value) is ok


def test_sample_values_prefer_default_then_example_then_placeholder(tmp_path):
    root = build_repo(tmp_path, "good_templated")
    (bdir,) = repo.select(root, repo.discover(root), ["templated"])
    bundle = load_bundle(root, bdir)
    assert bundle.sample_values() == {
        "instance_name": "main",
        "listen_port": 8080,
        "upstreams": ["backend-1.example.org", "backend-2.example.org"],
        "api_token": PLACEHOLDERS["str"],
    }
    assert bundle.version == "1.2.0"
    assert bundle.reload() == {"service": "demo-tool", "action": "reload"}
    assert [i for i, _ in bundle.files()] == [0, 1]


def test_views_skip_malformed_parts(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_text(
        manifest.read_text()
        + "parameters:\n  ok:\n    type: int\n    description: fine\n    default: 1\n"
        "  broken: just a string\n"
        "requires:\n- log-collection/v1\n- 42\n"
    )
    (bdir,) = repo.select(root, repo.discover(root), ["minimal"])
    bundle = load_bundle(root, bdir)
    assert list(bundle.parameters()) == ["ok"]
    assert bundle.requires() == ["log-collection/v1"]
    assert bundle.implements() == {}
    assert bundle.members() == []

"""checks/stacks.py: a stack's members exist, fit their constraints and fit together."""

from __future__ import annotations

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, of_bundle, validate


@pytest.mark.parametrize("fixture", bad_cases("STK"))
def test_bad_stacks_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def test_unknown_member_suggests_the_close_one(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_stack_unknown_member")
    assert f.message == "no bundle logging/minimall in this repository"
    assert f.hint == "did you mean logging/minimal?"


def test_version_constraint_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_stack_version")
    assert f.message == "logging/minimal is at 1.0.0, outside '>=2.0.0'"


def test_unreadable_constraint_is_stk002(tmp_path):
    root = build_repo(tmp_path, "bad_stack_version")
    manifest = root / "bundles/stack-version/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("'>=2.0.0'", "'~1.0'"))
    (f,) = of_bundle(validate(root), "bundles/stack-version")
    assert (f.code, f.line, f.col) == ("STK002", 12, 12)
    assert "'~1.0' is not a semantic version" in f.message


def test_requires_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_stack_requires")
    assert f.message == (
        "logging/needs-logs requires log-collection/v1, which no member of the stack provides"
    )


def test_requirement_met_by_another_member(tmp_path):
    root = build_repo(tmp_path, "bad_stack_requires", "good_collector")
    manifest = root / "bundles/stack-requires/manifest.yaml"
    manifest.write_text(manifest.read_text() + "- bundle: logging/collector\n")
    assert of_bundle(validate(root), "bundles/stack-requires") == []


def test_collision_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_stack_collision")
    assert f.message == (
        "logging/minimal-copy and logging/minimal both write /etc/demo-tool/minimal.conf"
    )


def test_values_suggestion(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_stack_values")
    assert f.message == "logging/templated has no parameter 'listen_prot'"
    assert f.hint == "did you mean 'listen_port'?"


def test_provides_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_stack_provides")
    assert f.message == "the stack promises log-collection/v1, but no member provides it"


def test_duplicate_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_stack_duplicate")
    assert f.message == "logging/minimal is already member 0"


def test_deprecated_member_is_a_warning_with_its_replacement(tmp_path):
    root = build_repo(tmp_path, "bad_stack_deprecated_member")
    report = validate(root)
    (f,) = of_bundle(report, "bundles/stack-deprecated-member")
    assert (f.severity, f.message, f.hint) == (
        "warning",
        "member logging/old-tool is deprecated",
        "use logging/minimal",
    )
    assert not report.failed()


def test_member_without_manifest_is_unknown(tmp_path):
    root = build_repo(tmp_path, "good_stack_demo")
    (root / "logging/minimal/manifest.yaml").unlink()
    found = of_bundle(validate(root), "bundles/stack-demo")
    assert [(f.code, f.line) for f in found] == [("STK001", 13)]


def test_stack_checks_do_not_run_on_tool_bundles(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_text(manifest.read_text() + "bundles:\n- bundle: logging/nothing\n")
    codes = [f.code for f in of_bundle(validate(root), "logging/minimal")]
    assert codes == ["SCH001"]


def test_a_preset_breaking_its_format_is_val001_in_the_stack(tmp_path):
    """Presets are values like --set ones: checked at validate time, placed
    at the line of the stack manifest."""
    (f,) = check_bad_fixture(tmp_path, "bad_stack_preset_format")
    assert "'logs example.org' is neither a host name nor an IP address" in f.message

"""checks/schema.py: manifests, stacks, interface sections and changelogs
against their yamale schemas."""

from __future__ import annotations

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, of_bundle, validate
from opsbundle.load import MAX_BYTES


@pytest.mark.parametrize("fixture", bad_cases("SCH"))
def test_bad_schema_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def test_schema_message_names_the_key_path(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_schema_short_summary")
    assert f.message.startswith("summary: ")
    (f,) = check_bad_fixture(tmp_path / "2", "bad_schema_unknown_key")
    assert f.message == "colour: Unexpected element"


def test_interface_section_message_is_prefixed(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_schema_interface_section")
    assert f.message.startswith("implements.log-collection/v1.transport: ")
    assert "pigeon" in f.message


def test_unknown_format_version_lists_the_known_ones(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_schema_format_version")
    assert "format_version 2 is not a known manifest format (known: 1)" in f.message
    assert "format_version: 1" in f.hint


def _edit(root, ref, old, new, name="manifest.yaml"):
    path = root / ref / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("value", ["true", "'1'", "1.0", "null"])
def test_format_version_must_be_the_integer(tmp_path, value):
    root = build_repo(tmp_path, "good_minimal")
    _edit(root, "logging/minimal", "format_version: 1", f"format_version: {value}")
    found = of_bundle(validate(root), "logging/minimal")
    assert [(f.code, f.line) for f in found if f.code.startswith("SCH")] == [("SCH003", 2)]


def test_missing_required_key_points_at_the_mapping(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _edit(root, "logging/minimal", "license: Apache-2.0\n", "")
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert (f.code, f.line, f.col) == ("SCH001", 2, 1)
    assert f.message.startswith("license: Required field missing")


def test_nested_schema_error_is_placed_in_the_list(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _edit(root, "logging/minimal", "  roles:\n  - all\n", "  roles: []\n")
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert (f.code, f.line, f.col) == ("SCH001", 20, 10)
    assert f.message.startswith("files.0.roles: ")


def test_stack_is_checked_against_the_stack_schema(tmp_path):
    root = build_repo(tmp_path, "good_stack_demo")
    _edit(root, "bundles/stack-demo", "kind: stack\n", "")
    found = of_bundle(validate(root), "bundles/stack-demo")
    assert [(f.code, f.message.split(":")[0]) for f in found] == [("SCH001", "kind")]


def test_tool_keys_are_refused_in_a_stack(tmp_path):
    root = build_repo(tmp_path, "good_stack_demo")
    _edit(root, "bundles/stack-demo", "kind: stack\n", "kind: stack\ndomain: logging\n")
    found = of_bundle(validate(root), "bundles/stack-demo")
    assert [(f.code, f.message, f.line) for f in found] == [
        ("SCH001", "domain: Unexpected element", 4)
    ]


def test_schema_errors_do_not_hide_other_families(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _edit(root, "logging/minimal", "- nova", "- nvoa")
    _edit(root, "logging/minimal", "license: Apache-2.0\n", "license: 42\n")
    codes = sorted(f.code for f in of_bundle(validate(root), "logging/minimal"))
    assert codes == ["SCH001", "VOC001"]


def test_oversized_manifest_is_yml009(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_bytes(manifest.read_bytes() + b"#" * MAX_BYTES + b"\n")
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert (f.code, f.path, f.line, f.col) == ("YML009", "logging/minimal/manifest.yaml", 1, 1)


def test_changelog_schema_error_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_schema_changelog")
    assert f.message.startswith("releases.0.changes.0.type: ")

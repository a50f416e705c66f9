"""checks/changelog.py: every released version is in the changelog, newest first."""

from __future__ import annotations

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, of_bundle, validate


@pytest.mark.parametrize("fixture", bad_cases("CHG"))
def test_bad_changelog_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def test_missing_entry_names_the_version(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_changelog_no_entry")
    assert f.message == "no entry for version 1.1.0, the manifest's version"
    assert "1.1.0" in f.hint


def test_order_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_changelog_order")
    assert f.message == "1.1.0 follows 1.0.0; releases go newest first, each once"


def test_future_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_changelog_future")
    assert f.message == "1.1.0 is newer than the manifest's version 1.0.0"


def _changelog(root, ref, text):
    (root / ref / "changelog.yaml").write_text(text)


def _release(v):
    return f"- version: {v}\n  changes:\n  - description: Release {v}.\n    type: bugfix\n"


def test_repeated_version_is_out_of_order(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _changelog(root, "logging/minimal", "releases:\n" + _release("1.0.0") + _release("1.0.0"))
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert (f.code, f.line) == ("CHG003", 6)


def test_prereleases_order_before_the_release(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _changelog(
        root,
        "logging/minimal",
        "releases:\n" + _release("1.0.0") + _release("1.0.0-rc.2") + _release("1.0.0-rc.1"),
    )
    assert validate(root).findings == []


def test_build_metadata_counts_as_the_same_version(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _changelog(root, "logging/minimal", "releases:\n" + _release("1.0.0+site.2"))
    assert validate(root).findings == []


def test_unreadable_changelog_is_reported_once(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _changelog(root, "logging/minimal", "releases: [\n")
    found = of_bundle(validate(root), "logging/minimal")
    assert [(f.code, f.path) for f in found] == [("YML001", "logging/minimal/changelog.yaml")]


def test_empty_changelog_is_yml005(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _changelog(root, "logging/minimal", "# nothing yet\n")
    found = of_bundle(validate(root), "logging/minimal")
    assert [f.code for f in found] == ["YML005"]


def test_changelog_schema_and_missing_entry_together(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    _changelog(root, "logging/minimal", "releases:\n- version: 0.9.0\n  changes: []\n")
    found = of_bundle(validate(root), "logging/minimal")
    assert sorted(f.code for f in found) == ["CHG002", "SCH004"]


def test_stacks_need_a_changelog_too(tmp_path):
    root = build_repo(tmp_path, "good_stack_demo")
    (root / "bundles/stack-demo/changelog.yaml").unlink()
    found = of_bundle(validate(root), "bundles/stack-demo")
    assert [(f.code, f.path) for f in found] == [("CHG001", "bundles/stack-demo/changelog.yaml")]

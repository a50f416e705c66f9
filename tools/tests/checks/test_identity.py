"""checks/identity.py: a bundle is what its place in the tree says it is."""

from __future__ import annotations

import shutil

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, of_bundle, validate


@pytest.mark.parametrize("fixture", bad_cases("MAN"))
def test_bad_identity_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def test_name_mismatch_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_name_mismatch")
    assert f.message == "name 'other-name' differs from its directory 'name-mismatch'"


def test_domain_mismatch_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_domain_mismatch")
    assert f.message == "domain 'monitoring' but the bundle lives under 'logging/'"


def test_missing_manifest_is_reported_for_the_directory(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_no_manifest")
    assert f.path == "logging/no-manifest/"
    assert "opsbundle new" in f.hint


def test_deprecation_is_a_warning_with_its_replacement(tmp_path):
    root = build_repo(tmp_path, "bad_deprecated")
    report = validate(root)
    (f,) = of_bundle(report, "logging/deprecated")
    assert f.severity == "warning"
    assert f.message == (
        "logging/deprecated is deprecated since 1.0.0: Superseded by the minimal fixture."
    )
    assert f.hint == "use logging/minimal"
    assert not report.failed()
    assert report.failed(warnings_are_errors=True)


def test_bundle_moved_to_another_domain_is_caught(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    shutil.move(root / "logging" / "minimal", root / "monitoring" / "minimal")
    (f,) = of_bundle(validate(root), "monitoring/minimal")
    assert (f.code, f.line) == ("MAN002", 4)


def test_stack_has_no_domain_check_but_a_name_check(tmp_path):
    root = build_repo(tmp_path, "good_stack_demo")
    shutil.move(root / "bundles" / "stack-demo", root / "bundles" / "renamed")
    found = of_bundle(validate(root), "bundles/renamed")
    assert [(f.code, f.line) for f in found] == [("MAN001", 4)]

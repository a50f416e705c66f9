"""checks/bump.py: a bundle changed since a git ref releases a higher version."""

from __future__ import annotations

import shutil

import pytest
from conftest import build_repo, git, git_init, of_bundle, validate


@pytest.fixture
def repo(tmp_path):
    root = build_repo(tmp_path, "good_minimal", "good_templated", "good_collector")
    git_init(root)
    return root


def _bump(root, ref, old, new):
    manifest = root / ref / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace(f"version: {old}\n", f"version: {new}\n"))
    changelog = root / ref / "changelog.yaml"
    changelog.write_text(
        changelog.read_text().replace(
            "releases:\n",
            f"releases:\n- version: {new}\n  changes:\n  - description: Bump.\n    type: bugfix\n",
        )
    )


def test_changed_bundle_without_bump_is_ver001(repo):
    (repo / "logging/minimal/files/minimal.conf").write_text("changed\n")
    report = validate(repo, changed_since="HEAD")
    assert report.checked == ["logging/minimal"]
    (f,) = report.findings
    assert (f.code, f.path, f.line, f.col) == ("VER001", "logging/minimal/manifest.yaml", 9, 10)
    assert f.bundle == "logging/minimal"
    assert "still at 1.0.0" in f.message
    assert "bump the version" in f.hint


def test_version_going_down_is_ver002(repo):
    manifest = repo / "logging/templated/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("version: 1.2.0\n", "version: 1.1.0\n"))
    changelog = repo / "logging/templated/changelog.yaml"
    text = changelog.read_text()
    changelog.write_text("releases:\n" + text[text.index("- version: 1.1.0") :])
    report = validate(repo, changed_since="HEAD")
    (f,) = report.findings
    assert (f.code, f.line, f.col) == ("VER002", 10, 10)
    assert "from 1.2.0 to 1.1.0" in f.message


def test_bumped_version_with_changelog_passes(repo):
    (repo / "logging/minimal/files/minimal.conf").write_text("changed\n")
    _bump(repo, "logging/minimal", "1.0.0", "1.0.1")
    git(repo, "commit", "-qam", "minimal 1.0.1")
    report = validate(repo, changed_since="HEAD~1")
    assert report.checked == ["logging/minimal"]
    assert report.findings == []


def test_bump_without_changelog_entry_is_chg002(repo):
    manifest = repo / "logging/minimal/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("version: 1.0.0\n", "version: 1.1.0\n"))
    report = validate(repo, changed_since="HEAD")
    assert [f.code for f in report.findings] == ["CHG002"]


def test_new_bundle_needs_no_bump(repo):
    shutil.copytree(repo / "logging" / "minimal", repo / "logging" / "fresh")
    manifest = repo / "logging/fresh/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("name: minimal", "name: fresh"))
    report = validate(repo, changed_since="HEAD")
    assert report.checked == ["logging/fresh"]
    assert report.findings == []


def test_prerelease_to_release_is_a_bump(repo):
    _bump(repo, "logging/minimal", "1.0.0", "1.0.1-rc.1")
    git(repo, "commit", "-qam", "rc")
    _bump(repo, "logging/minimal", "1.0.1-rc.1", "1.0.1")
    assert validate(repo, changed_since="HEAD").findings == []


def test_interface_change_does_not_demand_bumps_of_unchanged_bundles(repo):
    """BUG: a change outside any bundle (here interfaces/vocabulary.yaml) makes
    --changed-since check every bundle, which is right, but validate.run then
    also runs the bump check on every bundle, because repo.changed_bundles
    returns (all_bundles, True) and validate.run uses that list as `touched`.
    Every untouched bundle gets VER001 "changed since ... but is still at".
    Expected: all bundles checked, no VER001 for bundles whose files did not
    change."""
    with open(repo / "interfaces" / "vocabulary.yaml", "a") as f:
        f.write("# clarified wording\n")
    report = validate(repo, changed_since="HEAD")
    assert report.checked == ["logging/collector", "logging/minimal", "logging/templated"]
    assert any("checking all" in n for n in report.notes)
    assert [f.as_text() for f in report.findings if f.code == "VER001"] == []


def test_only_the_changed_bundle_is_checked(repo):
    for ref in ("logging/templated", "logging/collector"):  # broken but untouched
        (repo / ref / "changelog.yaml").unlink()
    git(repo, "commit", "-qam", "break two bundles")
    (repo / "logging/minimal/files/minimal.conf").write_text("changed\n")
    _bump(repo, "logging/minimal", "1.0.0", "1.1.0")
    report = validate(repo, changed_since="HEAD")
    assert report.checked == ["logging/minimal"]
    assert report.findings == []
    assert of_bundle(validate(repo), "logging/templated")[0].code == "CHG001"

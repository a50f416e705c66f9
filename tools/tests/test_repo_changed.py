"""--changed-since: a change outside bundles checks every bundle, but only the
bundles that changed must bump their version."""

import shutil
import subprocess

from conftest import FIXTURES, build_repo, git_init
from opsbundle import repo
from opsbundle.validate import Options, run


def _git(root, *args):
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "-C", str(root), *args],
        check=True,
        capture_output=True,
    )


def test_outside_change_checks_all_but_bumps_only_touched(repo_copy):
    _git(repo_copy, "init", "-q", "-b", "main")
    _git(repo_copy, "add", "-A")
    _git(repo_copy, "commit", "-qm", "base")
    readme = repo_copy / "interfaces" / "README.md"
    readme.write_text(readme.read_text() + "\nOne more line.\n")
    notes = repo_copy / "logging" / "splunk" / "README.md"
    notes.write_text(notes.read_text() + "\nOne more line.\n")
    touched, outside = repo.changed_bundles(repo_copy, repo.discover(repo_copy), "HEAD")
    assert outside and [b.ref for b in touched] == ["logging/splunk"]
    report = run(repo_copy, Options(changed_since="HEAD", cache=False, native=False))
    assert [(f.code, f.bundle) for f in report.errors] == [("VER001", "logging/splunk")]
    assert len(report.checked) == len(repo.discover(repo_copy))


def test_site_bundles_from_path_are_checked_without_a_bump(tmp_path, monkeypatch):
    """A site's bundles (--path, $OPSBUNDLES_PATH) are not in REF's history:
    with nothing changed in the repository they are still checked, and owe no
    version bump; a broken one fails as it does without --changed-since."""
    root = build_repo(tmp_path, "good_minimal", "good_templated")
    git_init(root)
    site = tmp_path / "site-bundles"
    shutil.copytree(FIXTURES / "good_minimal", site / "logging/minimal-site")
    manifest = site / "logging/minimal-site/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("name: minimal\n", "name: minimal-site\n"))
    monkeypatch.setenv(repo.PATH_ENV, str(site))
    options = Options(changed_since="HEAD", cache=False, native=False)
    report = run(root, options)
    assert report.checked == ["logging/minimal-site"] and not report.errors
    assert report.notes[0].startswith("0 bundle(s) changed since HEAD")
    assert "1 site bundle(s) (--path) checked too" in report.notes[0]
    ours = root / "logging/minimal/manifest.yaml"
    ours.write_text(ours.read_text().replace("for the test suite", "for the test suite, changed"))
    report = run(root, options)
    assert report.checked == ["logging/minimal", "logging/minimal-site"]
    assert [(f.code, f.bundle) for f in report.errors] == [("VER001", "logging/minimal")]
    manifest.write_text(manifest.read_text().replace("version: 1.0.0", "version: one"))
    report = run(root, options)
    assert {f.bundle for f in report.errors} == {"logging/minimal", "logging/minimal-site"}

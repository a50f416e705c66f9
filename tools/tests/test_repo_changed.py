"""--changed-since: a change outside bundles checks every bundle, but only the
bundles that changed must bump their version."""

import subprocess

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

"""repo.py: finding the repository, its bundles, and what changed in git."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import build_repo, git, git_init, make_repo
from opsbundle import repo
from opsbundle.repo import RepoError


def test_find_root_from_a_nested_folder(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    deep = root / "logging" / "minimal" / "files"
    assert repo.find_root(deep) == root.resolve()
    assert repo.find_root(root) == root.resolve()


def test_find_root_uses_the_current_folder(tmp_path, monkeypatch):
    root = build_repo(tmp_path, "good_minimal")
    monkeypatch.chdir(root / "logging")
    assert repo.find_root() == root.resolve()


def test_find_root_fails_outside_a_repository(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(RepoError, match="no opsbundles repository"):
        repo.find_root(tmp_path / "empty")


def test_check_root(tmp_path):
    root = make_repo(tmp_path)
    assert repo.check_root(root) == root.resolve()
    with pytest.raises(RepoError, match="is not an opsbundles repository"):
        repo.check_root(tmp_path)


def test_discover_lists_bundles_sorted(tmp_path):
    root = build_repo(tmp_path, "good_stack_demo", "good_templated")
    (root / "monitoring" / "no-manifest-yet").mkdir()
    (root / "logging" / ".hidden").mkdir()
    (root / "logging" / "README.md").write_text("not a bundle\n")
    (root / "packaging" / "linked").symlink_to(root / "logging" / "minimal")
    (root / "other" / "thing").mkdir(parents=True)
    refs = [b.ref for b in repo.discover(root)]
    assert refs == [
        "bundles/stack-demo",
        "logging/collector",
        "logging/minimal",
        "logging/templated",
        "monitoring/no-manifest-yet",
    ]
    found = {b.ref: b for b in repo.discover(root)}
    assert found["bundles/stack-demo"].is_stack
    assert not found["logging/minimal"].is_stack
    assert found["logging/minimal"].path == root / "logging" / "minimal"


def test_discover_tolerates_missing_domain_folders(tmp_path):
    root = tmp_path / "bare"
    shutil.copytree(make_repo(tmp_path) / "interfaces", root / "interfaces")
    assert repo.discover(root) == []


def test_select_by_ref_name_and_path(tmp_path, monkeypatch):
    root = build_repo(tmp_path, "good_minimal", "good_templated")
    everything = repo.discover(root)
    pick = lambda *names: [b.ref for b in repo.select(root, everything, list(names))]  # noqa: E731
    assert pick("logging/minimal") == ["logging/minimal"]
    assert pick("logging/minimal/") == ["logging/minimal"]
    assert pick("templated") == ["logging/templated"]
    assert pick(str(root / "logging" / "templated" / "files" / "static.conf")) == [
        "logging/templated"
    ]
    monkeypatch.chdir(root)
    assert pick("logging/minimal/manifest.yaml") == ["logging/minimal"]
    # duplicates collapse, the result is sorted
    assert pick("templated", "minimal", "logging/minimal") == [
        "logging/minimal",
        "logging/templated",
    ]


def test_select_ambiguous_and_unknown(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    shutil.copytree(root / "logging" / "minimal", root / "monitoring" / "minimal")
    everything = repo.discover(root)
    with pytest.raises(RepoError, match="ambiguous: logging/minimal, monitoring/minimal"):
        repo.select(root, everything, ["minimal"])
    with pytest.raises(RepoError, match="no bundle 'nothing-here'"):
        repo.select(root, everything, ["nothing-here"])


# --------------------------------------------------------------------------- git


@pytest.fixture
def git_repo(tmp_path):
    root = build_repo(tmp_path, "good_minimal", "good_templated", "good_stack_demo")
    git_init(root)
    return root


def test_merge_base_of_head(git_repo):
    head = git(git_repo, "rev-parse", "HEAD").strip()
    assert repo.merge_base(git_repo, "HEAD") == head
    assert repo.merge_base(git_repo, "main") == head


def test_merge_base_unknown_ref(git_repo):
    with pytest.raises(RepoError, match="unknown git ref 'no-such-branch'"):
        repo.merge_base(git_repo, "no-such-branch")


def test_merge_base_outside_git(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    with pytest.raises(RepoError):
        repo.merge_base(root, "HEAD")


def test_changed_files_committed_uncommitted_and_untracked(git_repo):
    base = repo.merge_base(git_repo, "HEAD")
    assert repo.changed_files(git_repo, base) == []
    (git_repo / "logging/minimal/files/minimal.conf").write_text("changed\n")
    (git_repo / "logging/templated/NOTES.md").write_text("untracked\n")
    git(git_repo, "rm", "-q", "bundles/stack-demo/changelog.yaml")
    assert repo.changed_files(git_repo, base) == [
        "bundles/stack-demo/changelog.yaml",
        "logging/minimal/files/minimal.conf",
        "logging/templated/NOTES.md",
    ]


def test_changed_bundles_only_touched_ones(git_repo):
    base = repo.merge_base(git_repo, "HEAD")
    (git_repo / "logging/templated/files/static.conf").write_text("changed\n")
    touched, everything = repo.changed_bundles(git_repo, repo.discover(git_repo), base)
    assert [b.ref for b in touched] == ["logging/templated"]
    assert everything is False


def test_change_outside_bundles_means_all(git_repo):
    base = repo.merge_base(git_repo, "HEAD")
    with open(git_repo / "interfaces/vocabulary.yaml", "a") as f:
        f.write("# a comment\n")
    touched, outside = repo.changed_bundles(git_repo, repo.discover(git_repo), base)
    assert outside is True
    assert touched == []  # no bundle's own files changed: none owes a version bump


def test_deleted_bundle_is_not_checked(git_repo):
    base = repo.merge_base(git_repo, "HEAD")
    shutil.rmtree(git_repo / "logging" / "templated")
    touched, everything = repo.changed_bundles(git_repo, repo.discover(git_repo), base)
    assert touched == [] and everything is False


def test_file_at(git_repo):
    base = repo.merge_base(git_repo, "HEAD")
    before = (git_repo / "logging/minimal/manifest.yaml").read_bytes()
    (git_repo / "logging/minimal/manifest.yaml").write_text("changed: true\n")
    assert repo.file_at(git_repo, base, "logging/minimal/manifest.yaml") == before
    assert repo.file_at(git_repo, base, "logging/nothing/manifest.yaml") is None


def test_root_in_a_subfolder_of_the_work_tree(tmp_path):
    top = tmp_path / "deploy"
    top.mkdir()
    (top / "site.yml").write_text("site: true\n")
    root = build_repo(top / "vendor", "good_minimal")
    git_init(top)
    base = repo.merge_base(root, "HEAD")
    (root / "logging/minimal/files/minimal.conf").write_text("changed\n")
    (top / "site.yml").write_text("site: false\n")  # outside the root: ignored
    assert repo.changed_files(root, base) == ["logging/minimal/files/minimal.conf"]
    assert repo.file_at(root, base, "logging/minimal/manifest.yaml") is not None


def test_untracked_bundle_in_a_subfolder_root_counts_as_changed(tmp_path):
    """BUG: when the opsbundles root is a subfolder of the git work tree (the
    vendored layout the pre-commit hook documents), repo.changed_files drops
    untracked files: `git ls-files --others` run with -C root prints paths
    relative to the root, but they are then filtered by the work-tree prefix
    ('vendor/repo/') as if relative to the top. A brand-new bundle that is not
    yet `git add`ed is therefore never validated by --changed-since."""
    top = tmp_path / "deploy"
    top.mkdir()
    root = build_repo(top / "vendor", "good_minimal")
    git_init(top)
    base = repo.merge_base(root, "HEAD")
    shutil.copytree(root / "logging" / "minimal", root / "logging" / "fresh")
    assert "logging/fresh/manifest.yaml" in repo.changed_files(root, base)


def test_git_missing_is_a_repo_error(git_repo, monkeypatch):
    monkeypatch.setenv("PATH", os.fspath(git_repo / "no-bin-here"))
    with pytest.raises(RepoError, match="git is not installed"):
        repo.merge_base(git_repo, "HEAD")


def test_select_takes_folders_of_bundles(tmp_path, monkeypatch):
    root = build_repo(tmp_path, "good_minimal", "good_templated", "good_stack_demo")
    everything = repo.discover(root)
    logging = [b.ref for b in everything if b.ref.startswith("logging/")]
    assert len(logging) >= 2
    assert [b.ref for b in repo.select(root, everything, ["logging"])] == logging
    assert [b.ref for b in repo.select(root, everything, ["bundles/"])] == ["bundles/stack-demo"]
    monkeypatch.chdir(root / "logging")
    assert [b.ref for b in repo.select(root, everything, ["."])] == logging
    assert len(repo.select(root, everything, [str(root)])) == len(everything)

"""review.py and the hooks, from a site repository with opsbundles as a git
submodule, through real `git commit`s whose pre-commit hook runs opsbundle:
the hook sees the submodule's changed bundles and their bumps, and our git
calls ignore the GIT_INDEX_FILE/GIT_DIR the outer commit hands its hooks."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml
from conftest import (
    build_repo,
    git,
    git_init,
    pre_commit_hook,
    run_module,
    site_repo,
    subprocess_env,
)

HOOK = """#!/bin/sh
# what .pre-commit-hooks.yaml's opsbundle-review and opsbundle-validate-changed run
set -e
{python} -m opsbundle review --no-native --no-cache
{python} -m opsbundle validate --no-native --no-cache --root vendor/opsbundles --changed-since
"""


@pytest.fixture
def site(tmp_path):
    """A site repo holding a clone of a fixture opsbundles repo at vendor/opsbundles."""
    upstream = build_repo(tmp_path / "up", "good_minimal", "good_templated")
    git_init(upstream)
    top = tmp_path / "site"
    site_repo(top, upstream)
    git(top, "commit", "-q", "-m", "vendor opsbundles")
    pre_commit_hook(top, HOOK)
    sub = top / "vendor/opsbundles"
    git(sub, "config", "user.name", "Test")
    git(sub, "config", "user.email", "test@example.org")
    # the submodule's own origin/main is the vendored commit: the default base ref
    return top


def _change_bundle(sub, bump: bool):
    manifest = sub / "logging/minimal/manifest.yaml"
    data = yaml.safe_load(manifest.read_text())
    data["summary"] = "Fixture bundle minimal, now with a longer summary"
    if bump:
        data["version"] = "1.1.0"
        log = sub / "logging/minimal/changelog.yaml"
        changes = yaml.safe_load(log.read_text())
        changes["releases"].insert(
            0,
            {
                "version": "1.1.0",
                "changes": [{"description": "Longer summary.", "type": "enhancement"}],
            },
        )
        log.write_text(yaml.safe_dump(changes, sort_keys=False))
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    git(sub, "commit", "-q", "-am", "change minimal")


def _commit(top, *args):
    """`git commit` in the superproject, as an operator runs it (hooks run)."""
    env = subprocess_env()
    return subprocess.run(
        ["git", "commit", "-q", *args],
        cwd=top,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_hook_refuses_a_submodule_change_without_a_bump(site):
    sub = site / "vendor/opsbundles"
    _change_bundle(sub, bump=False)
    git(site, "add", "vendor/opsbundles")
    done = _commit(site, "-m", "update opsbundles")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "== vendor/opsbundles:" in out
    assert "VER001 logging/minimal changed since" in out
    # nothing was committed
    assert git(site, "diff", "--cached", "--name-only").strip() == "vendor/opsbundles"


def test_hook_passes_a_bumped_change_even_with_commit_a(site):
    """`git commit -a` runs the hook with GIT_INDEX_FILE pointing at a
    temporary index of the superproject; our git calls must not use it."""
    sub = site / "vendor/opsbundles"
    _change_bundle(sub, bump=True)
    (site / "site.yaml").write_text("contact_email: ops@example.org\n")
    git(site, "add", "site.yaml")
    git(site, "commit", "-q", "-m", "values", "--no-verify")
    done = _commit(site, "-a", "-m", "update opsbundles")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "1 bundle(s) changed since" in out
    assert git(site, "log", "-1", "--format=%s").strip() == "update opsbundles"


def test_review_since_a_ref_for_ci(site):
    sub = site / "vendor/opsbundles"
    _change_bundle(sub, bump=False)
    git(site, "commit", "-q", "-am", "unbumped", "--no-verify")
    done = run_module("review", "--no-native", "--no-cache", "--since", "HEAD~1", cwd=site)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "VER001" in done.stdout
    done = run_module("review", "--no-native", "--since", "HEAD", cwd=site)
    assert done.returncode == 0 and "no opsbundles submodule changes" in done.stdout


def test_review_refuses_a_checkout_other_than_the_staged_commit(site):
    sub = site / "vendor/opsbundles"
    _change_bundle(sub, bump=True)
    git(site, "add", "vendor/opsbundles")
    git(sub, "checkout", "-q", "HEAD~1")
    done = run_module("review", "--no-native", cwd=site)
    assert done.returncode == 2
    assert "git submodule update vendor/opsbundles" in done.stderr


def test_git_calls_ignore_the_outer_commits_variables(tmp_path, monkeypatch):
    from opsbundle import repo

    root = build_repo(tmp_path, "good_minimal")
    git_init(root)
    head = git(root, "rev-parse", "HEAD").strip()
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "nowhere/.git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "nowhere/index"))
    assert repo.merge_base(root, "HEAD") == head
    assert repo.changed_files(root, head) == []
    assert "GIT_DIR" not in repo.git_env() and "GIT_INDEX_FILE" not in repo.git_env()


def test_base_ref_comes_from_the_environment(tmp_path, monkeypatch):
    from opsbundle import repo

    monkeypatch.delenv(repo.BASE_REF_ENV, raising=False)
    assert repo.base_ref() == "origin/main"
    monkeypatch.setenv(repo.BASE_REF_ENV, "origin/stable/2026.1")
    assert repo.base_ref() == "origin/stable/2026.1"
    assert repo.base_ref("HEAD~3") == "HEAD~3"
    root = build_repo(tmp_path, "good_minimal")
    git_init(root)
    done = run_module(
        "validate", "--no-native", "--changed-since", cwd=root, OPSBUNDLES_BASE_REF="no-such-ref"
    )
    assert done.returncode == 2 and "unknown git ref 'no-such-ref'" in done.stderr


def test_opsbundles_root_from_the_environment(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_module("list", cwd=elsewhere, OPSBUNDLES_ROOT=str(root))
    assert done.returncode == 0 and "logging/minimal" in done.stdout
    assert os.environ.get("OPSBUNDLES_ROOT") is None

"""pbr's versions (its documented semver rules) and their rpm/deb spellings,
the order checked with rpm's and dpkg's own comparisons."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest
from opsbundle.pkgbuild.version import Version, VersionError, canonical, compute


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def checkout(tmp_path) -> Path:
    repo = tmp_path / "proj"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "setup.cfg").write_text("[metadata]\nname = proj\n")
    return repo


def commit(repo: Path, message: str = "change") -> None:
    (repo / "f").write_text(((repo / "f").read_text() if (repo / "f").exists() else "") + "x")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.mark.parametrize(
    "given, pbr",
    [("2.0", "2.0.0"), ("1.2.3", "1.2.3"), ("1.0.0a1", "1.0.0.0a1"), ("1.2.3.post2", "1.2.4.dev2")],
)
def test_canonical_follows_pbr(given, pbr):
    assert canonical(given) == pbr


@pytest.mark.parametrize(
    "pbr, package",
    [
        ("1.0.0", "1.0.0"),
        ("1.2.4.dev3", "1.2.4~~dev3"),
        ("1.0.0.0a1", "1.0.0~a1"),
        ("1.0.0.0rc2", "1.0.0~rc2"),
        ("1.0.0.0rc2.dev3", "1.0.0~rc2~dev3"),
    ],
)
def test_package_spelling(pbr, package):
    v = Version(pbr, "test")
    assert v.rpm == package
    assert v.deb("2") == f"{package}-2"


ORDERED = [  # pbr's order (SemanticVersion._sort_key): dev < a < b < rc < final
    "1.2.3",
    "1.2.4.dev3",
    "1.2.4.0a1.dev1",
    "1.2.4.0a1",
    "1.2.4.0b1",
    "1.2.4.0rc1.dev2",
    "1.2.4.0rc1",
    "1.2.4.0rc2",
    "1.2.4",
    "1.2.5.dev1",
]


def test_rpm_and_dpkg_keep_pbrs_order():
    spelled = [Version(v, "t").package for v in ORDERED]
    lua = ";".join(
        f"print(rpm.vercmp('{a}', '{b}') .. ' ')" for a, b in itertools.pairwise(spelled)
    )
    out = subprocess.run(
        ["rpm", "--eval", f"%{{lua: {lua}}}"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["-1"] * (len(spelled) - 1), list(zip(spelled, out, strict=False))
    for a, b in itertools.pairwise(spelled):
        assert (
            subprocess.run(["dpkg", "--compare-versions", f"{a}-1", "lt", f"{b}-1"]).returncode == 0
        ), (a, b)


def test_exact_tag_is_the_version(checkout):
    commit(checkout)
    git(checkout, "tag", "2.1.0")
    assert compute(checkout) == Version("2.1.0", "git")


def test_commits_after_a_tag_are_a_dev_of_the_next_patch(checkout):
    commit(checkout)
    git(checkout, "tag", "2.1.0")
    commit(checkout)
    commit(checkout)
    v = compute(checkout)
    assert v.pbr == "2.1.1.dev2"
    assert v.package == "2.1.1~~dev2"


@pytest.mark.parametrize(
    "header, expected", [("Sem-Ver: feature", "2.2.0.dev1"), ("sem-ver: api-break", "3.0.0.dev1")]
)
def test_sem_ver_headers_raise_the_target(checkout, header, expected):
    commit(checkout)
    git(checkout, "tag", "2.1.0")
    commit(checkout, f"add a thing\n\n{header}\n")
    assert compute(checkout).pbr == expected


def test_after_a_pre_release_tag_the_pre_release_counts_up(checkout):
    commit(checkout)
    git(checkout, "tag", "3.0.0.0rc1")
    commit(checkout)
    v = compute(checkout)
    assert v.pbr == "3.0.0.0rc2.dev1"
    assert v.package == "3.0.0~rc2~dev1"


def test_setup_cfg_version_is_the_target(checkout):
    commit(checkout)
    git(checkout, "tag", "1.0.0")
    (checkout / "setup.cfg").write_text("[metadata]\nname = proj\nversion = 2.0.0\n")
    commit(checkout)
    assert compute(checkout).pbr == "2.0.0.dev1"


def test_untagged_history_counts_from_zero(checkout):
    commit(checkout)
    commit(checkout)
    commit(checkout)
    assert compute(checkout).pbr == "0.0.1.dev2"


def test_pkg_info_of_an_sdist_wins_over_git(tmp_path):
    (tmp_path / "PKG-INFO").write_text(
        "Metadata-Version: 1.1\nName: os-service-types\nVersion: 1.7.0\n"
    )
    assert compute(tmp_path, "os-service-types") == Version("1.7.0", "PKG-INFO")


def test_override_wins(tmp_path):
    assert compute(tmp_path, "x", "5.0.0rc1") == Version("5.0.0.0rc1", "override")


def test_no_version_source_is_a_clear_error(tmp_path):
    with pytest.raises(VersionError, match="neither PKG-INFO"):
        compute(tmp_path)


def test_garbage_override_is_refused(tmp_path):
    with pytest.raises(VersionError, match="not a version"):
        compute(tmp_path, "x", "banana")

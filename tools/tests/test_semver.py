"""semver.py: semver.org 2.0.0 precedence and stack version constraints."""

from __future__ import annotations

import pytest
from opsbundle.semver import Version, parse, satisfies


@pytest.mark.parametrize(
    "text",
    [
        "0.0.0",
        "1.2.3",
        "10.20.30",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-0.3.7",
        "1.0.0-x.7.z.92",
        "1.0.0-x-y-z.--",
        "1.0.0+20130313144700",
        "1.0.0-beta+exp.sha.5114f85",
        "1.0.0+21AF26D3----117B344092BD",
    ],
)
def test_valid_versions(text):
    v = parse(text)
    assert v is not None
    assert str(v) == text


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "1.2",
        "1.2.3.4",
        "01.1.1",
        "1.01.1",
        "1.1.01",
        "1.0.0-01",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-alpha..1",
        "v1.0.0",
        " 1.0.0",
        "1.0.0 ",
        "",
        None,
        1.0,
    ],
)
def test_invalid_versions(text):
    assert parse(text) is None
    with pytest.raises(ValueError, match="not a semantic version"):
        Version(text)


def test_precedence_follows_semver_org():
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "1.9.0",
        "1.10.0",
        "2.0.0",
    ]
    versions = [Version(v) for v in ordered]
    for lower, higher in zip(versions, versions[1:], strict=False):
        assert lower < higher, (lower, higher)
        assert higher > lower
        assert lower <= higher and higher >= lower
        assert lower != higher
    assert sorted(reversed(versions)) == versions


def test_numeric_identifiers_compare_numerically_and_below_alphanumeric():
    assert Version("1.0.0-2") < Version("1.0.0-10")
    assert Version("1.0.0-999") < Version("1.0.0-a")


def test_build_metadata_does_not_affect_precedence():
    a, b = Version("1.0.0+site.1"), Version("1.0.0+site.2")
    assert a == b
    assert hash(a) == hash(b)
    assert not a < b and not b < a
    assert str(a) == "1.0.0+site.1"


def test_version_is_not_equal_to_a_string():
    assert Version("1.0.0") != "1.0.0"


@pytest.mark.parametrize(
    ("version", "constraint", "ok"),
    [
        ("1.2.3", "1.2.3", True),
        ("1.2.4", "1.2.3", False),
        ("1.2.3", "==1.2.3", True),
        ("1.2.3", "!=1.2.3", False),
        ("1.5.0", ">=1.2.0, <2.0.0", True),
        ("2.0.0", ">=1.2.0, <2.0.0", False),
        ("1.1.9", ">=1.2.0,<2.0.0", False),
        ("1.2.0", "> 1.2.0", False),
        ("1.2.1", "> 1.2.0", True),
        ("1.2.0", "<= 1.2.0", True),
        ("2.0.0-rc.1", "<2.0.0", True),
        ("1.0.0-rc.1", ">=1.0.0", False),
        ("1.0.0+build", "==1.0.0", True),
    ],
)
def test_satisfies(version, constraint, ok):
    assert satisfies(Version(version), constraint) is ok


@pytest.mark.parametrize(
    "constraint", ["", ">=", "~1.2.0", "^1.0.0", ">=1.0", ">=1.0.0,", "1.0.0 2"]
)
def test_unreadable_constraint_raises(constraint):
    with pytest.raises(ValueError):
        satisfies(Version("1.0.0"), constraint)

"""Requirements as each family's dependencies. deb: the names are Debian's
(dh-python's own table), and the tests ask Debian's archive (apt-cache) that
each package exists and that its version satisfies the bound, for the
releases the test cloud builds. rpm: python3dist() with every clause."""

from __future__ import annotations

import re
import subprocess

import pytest
from opsbundle.pkgbuild import depends, requires
from testcloud import debs

from ..conftest import sdist


def candidates(packages) -> dict[str, str | None]:
    """The archive's candidate version of each package (None: not in it), one apt-cache."""
    out = subprocess.run(["apt-cache", "policy", *packages], capture_output=True, text=True).stdout
    found = dict(re.findall(r"^(\S+):\n  Installed: .*\n  Candidate: (\S+)", out, re.M))
    return {p: None if found.get(p, "(none)") == "(none)" else found[p] for p in packages}


def candidate(package: str) -> str | None:
    return candidates([package])[package]


def satisfied(version: str, relation: str) -> bool:
    """dpkg's own comparison; it takes Depends' operators (<<, <=, =, >=, >>)."""
    op, bound = relation.split()
    return subprocess.run(["dpkg", "--compare-versions", version, op, bound]).returncode == 0


def unmet(lines: list[str]) -> list[str]:
    """The Depends entries Debian's archive cannot satisfy, with why."""
    bad = []
    entries = [re.fullmatch(r"(\S+)(?: \((.+)\))?", line) for line in lines]
    versions = candidates(sorted({m[1] for m in entries}))
    for line, m in zip(lines, entries, strict=True):
        package, relation = m[1], m[2]
        version = versions[package]
        if version is None:
            bad.append(f"{line}: no such package in the archive")
        elif relation and not satisfied(version, relation):
            bad.append(f"{line}: the archive has {version}")
    return bad


def zed_requirements(project: str) -> list:
    dist, version = debs.RELEASE[project]
    extras = ["memcache"] if project == "keystone" else []
    return requires.read(sdist(dist, version), extras)


def test_debian_names_come_from_dh_pythons_table():
    reqs = requires.parse(["PasteDeploy>=1.5.0", "python-keystoneclient>=3.8.0", "oslo.db==1.*"])
    assert depends.deb_depends(reqs, archive=False) == [
        "python3-pastedeploy (>= 1.5.0)",
        "python3-keystoneclient (>= 3.8.0)",
        "python3-oslo.db (>= 1)",
        "python3-oslo.db (<< 2)",
    ]


def test_bounds_carry_the_archives_epoch():
    # python3-oslo.config is 1:9.0.0-3 in bookworm: without the epoch a bound
    # would be below every version and say nothing
    (line,) = depends.deb_depends(requires.parse(["oslo.config>=6.8.0"]))
    assert line == "python3-oslo.config (>= 1:6.8.0)"
    assert not unmet([line])
    assert unmet(["python3-oslo.config (>= 1:99)"])  # the check can fail


@pytest.mark.parametrize("project", sorted(debs.RELEASE))
def test_the_cloud_releases_depends_are_all_in_debian_12(project):
    lines = depends.deb_depends(zed_requirements(project))
    assert lines and unmet(lines) == []


def test_the_next_release_is_not_satisfiable_in_debian_12():
    # why the cloud builds Zed: 2023.1's placement needs a newer os-traits
    lines = depends.deb_depends(requires.read(sdist("openstack-placement", "9.0.0")))
    assert unmet(lines) == [
        f"python3-os-traits (>= 2.10.0): the archive has {candidate('python3-os-traits')}"
    ]


def test_rpm_requires_are_python3dist_with_every_clause():
    reqs = requires.parse(
        ["pbr!=2.1.0,>=2.0.0", "oslo.config", "oslo.privsep~=2.4", "SQLAlchemy==1.4.*"]
    )
    assert depends.rpm_requires(reqs) == [
        "(python3dist(pbr) < 2.1.0 or python3dist(pbr) > 2.1.0)",
        "python3dist(pbr) >= 2.0.0",
        "python3dist(oslo-config)",
        "python3dist(oslo-privsep) >= 2.4",
        "python3dist(oslo-privsep) < 3",
        "python3dist(sqlalchemy) >= 1.4",
        "python3dist(sqlalchemy) < 1.5",  # ==1.4.* is 1.4.x
    ]

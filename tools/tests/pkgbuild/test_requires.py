"""A source's requirements, parsed once for both families."""

from __future__ import annotations

import pytest
from opsbundle.pkgbuild import requires
from opsbundle.pkgbuild.errors import BuildError


def test_requirements_keep_every_clause_and_drop_other_platforms(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "# comment\npbr!=2.1.0,>=2.0.0 # Apache-2.0\noslo.config>=9.0.0\n"
        "typing_extensions\n"
        "pywin32>=1.0;sys_platform=='win32'\n-c constraints.txt\n"
    )
    found = requires.read(tmp_path)
    assert [(r.name, r.key, r.clauses) for r in found] == [
        ("pbr", "pbr", (("!=", "2.1.0"), (">=", "2.0.0"))),
        ("oslo.config", "oslo-config", ((">=", "9.0.0"),)),
        ("typing_extensions", "typing-extensions", ()),
    ]


def test_extras_add_their_requirements(tmp_path):
    (tmp_path / "requirements.txt").write_text("pbr>=2.0.0\n")
    (tmp_path / "setup.cfg").write_text(
        "[extras]\nmemcache =\n    python-memcached>=1.56 # PSF\nldap =\n    python-ldap\n"
    )
    assert [r.key for r in requires.read(tmp_path, ["memcache"])] == ["pbr", "python-memcached"]
    # an extra a release no longer has (keystone 28: memcache) adds nothing
    assert [r.key for r in requires.read(tmp_path, ["mongo"])] == ["pbr"]


def test_a_bad_requirement_is_an_error_naming_the_file(tmp_path):
    (tmp_path / "requirements.txt").write_text("oslo.config >>= 1\n")
    with pytest.raises(BuildError, match="requirements.txt"):
        requires.read(tmp_path)


@pytest.mark.parametrize(
    "version, upper", [("2.4", "3"), ("2.4.1", "2.5"), ("1.0rc1", "2"), ("5", "6")]
)
def test_the_upper_bound_of_a_compatible_release(version, upper):
    assert requires.upper_of(version) == upper

"""The deb engine: Debian's own parsers on each rendered debian/ folder, each
shown to catch a real mistake."""

from __future__ import annotations

import re

from opsbundle.validate import Options, run

from ..checks.test_pkgbuild import edit


def findings(root):
    report = run(root, Options(names=["packaging/deb"], cache=False, require_native=True))
    return "\n".join(f.as_text() for f in report.findings)


def test_clean_bundle_passes_every_native_check(repo_copy):
    assert findings(repo_copy) == ""


def test_control_without_a_package_field(repo_copy):
    edit(repo_copy / "packaging/deb/build/control.j2", "Package: ", "Pakage: ")
    assert 'missing mandatory "Package"-field (openstack-nova)' in findings(repo_copy)


def test_changelog_with_the_wrong_version_spelling(repo_copy):
    edit(
        repo_copy / "packaging/deb/build/changelog.j2",
        "({{ build.version }}-",
        "({{ build.pbr_version }}-",
    )
    found = findings(repo_copy)
    assert "packaging/deb/build/changelog.j2:1:1: NAT001 dpkg-parsechangelog" in found
    assert "expected version 1.0.0~rc1~dev2-1" in found


def test_rules_that_make_cannot_read(repo_copy):
    edit(repo_copy / "packaging/deb/build/rules.j2", "%:\n", "%:::\n")
    assert "make -n -f debian/rules: debian/rules:" in findings(repo_copy)


def test_postinst_that_sh_cannot_parse(repo_copy):
    edit(repo_copy / "packaging/deb/build/postinst.j2", "fi\n", "fi fi\n")
    found = findings(repo_copy)
    assert re.search(
        r'sh -n: postinst: \d+: Syntax error: "fi" unexpected \(openstack-glance\)', found
    )


def test_units_of_deb_packages_are_verified_too(repo_copy):
    edit(
        repo_copy / "packaging/deb/build/systemd.service.j2",
        "Restart=on-failure",
        "Restart=sometimes",
    )
    assert "systemd-analyze verify (nova-api.service of openstack-nova)" in findings(repo_copy)

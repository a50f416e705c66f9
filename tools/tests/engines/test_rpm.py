"""The rpm engine: rpmspec -P, systemd-analyze verify and logrotate -d on what
packaging/rpm renders, each shown to catch a real mistake."""

from __future__ import annotations

import pytest

from ..checks.test_pkgbuild import edit, findings


@pytest.fixture
def runs(monkeypatch) -> list[str]:
    """The programs the host-file checks start, in order."""
    from opsbundle.engines import hostfiles

    started: list[str] = []
    real = hostfiles._run

    def spy(argv):
        started.append(argv[0])
        return real(argv)

    monkeypatch.setattr(hostfiles, "_run", spy)
    return started


def test_clean_bundle_passes_every_native_check(repo_copy):
    assert findings(repo_copy, native=True) == []


def test_rpmspec_rejects_an_unknown_tag_with_the_rendered_line(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/openstack.spec.j2",
        "BuildArch:      noarch",
        "BuildArchh: noarch",
    )
    found = findings(repo_copy, native=True)
    assert len(found) == 8  # one per project
    assert (
        "NAT001 rpmspec -P (openstack-nova): line 19 of the rendered spec ('BuildArchh: noarch')"
        in found[0] + "".join(found)
    )


def test_systemd_analyze_rejects_a_bad_unit(repo_copy):
    edit(repo_copy / "packaging/rpm/build/systemd.service.j2", "Type=simple", "Type=sometimes")
    found = "\n".join(findings(repo_copy, native=True))
    assert "systemd-analyze verify (glance-api.service of openstack-glance)" in found
    assert "Failed to parse service type, ignoring: sometimes" in found


def test_systemd_analyze_rejects_a_missing_dependency(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/systemd.service.j2",
        "[Service]",
        "Requires=no-such.service\n\n[Service]",
    )
    found = "\n".join(findings(repo_copy, native=True))
    assert "no-such.service" in found


def test_logrotate_rejects_an_unknown_option(repo_copy):
    edit(repo_copy / "packaging/rpm/build/logrotate.j2", "    weekly", "    weeklyish")
    found = "\n".join(findings(repo_copy, native=True))
    assert (
        "logrotate -d (logrotate of openstack-nova): "
        "error: rendered file:5 unknown option 'weeklyish'" in found
    )


def test_logrotate_still_checks_users_other_than_the_projects(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/logrotate.j2",
        "su {{ project.user }} adm",
        "su nobody-here nobody-here",
    )
    found = "\n".join(findings(repo_copy, native=True))
    assert "unknown user 'nobody-here'" in found


def said_after(repo_copy, template: str, old: str, new: str, program: str) -> list[str]:
    """The native findings from `program` once `template` has `new` for `old`."""
    edit(repo_copy / "packaging/rpm/build" / template, old, new)
    return [f for f in findings(repo_copy, native=True) if program in f]


def test_apache_rejects_a_misspelled_directive_in_every_site(repo_copy):
    found = said_after(repo_copy, "httpd.conf.j2", "WSGIPassAuthorization On",
                       "WSGIPassAuthorisation On", "apache2 -t")  # fmt: skip
    # apache2 stops at its first error: every broken site is still reported
    # keystone, nova (2), neutron, glance, cinder, placement, heat (2)
    assert len(found) == 9, found
    assert (
        "apache2 -t (httpd site placement-api of openstack-placement): line 11 of the rendered "
        "site ('WSGIPassAuthorisation On'): Invalid command 'WSGIPassAuthorisation'"
        in "\n".join(found)
    )


def test_apache_reads_every_site_of_every_bundle_in_one_run(repo_copy, runs):
    """Sites of one bundle share one apache2 -t, and so do those of a second
    bundle packaging the same projects (same ports, same daemon names: its
    copy listens and names its daemons on stand-ins of its own)."""
    import shutil

    assert findings(repo_copy, native=True) == []
    assert runs.count("apache2") == 1

    shutil.copytree(repo_copy / "packaging/rpm", repo_copy / "packaging/rpm-site")
    edit(repo_copy / "packaging/rpm-site/manifest.yaml", "\nname: rpm\n", "\nname: rpm-site\n")
    edit(repo_copy / "packaging/rpm-site/build/httpd.conf.j2", "processes=3", "processes=4")
    runs.clear()
    from opsbundle.validate import Options, run

    report = run(repo_copy, Options(names=["packaging/rpm", "packaging/rpm-site"], cache=False,
                                    native=True))  # fmt: skip
    assert [f.as_text() for f in report.findings] == []
    assert runs.count("apache2") == 1


def test_apache_still_rejects_two_sites_of_one_project_on_one_port(repo_copy, runs):
    """The stand-ins keep bundles apart, not the sites of one project: nova's
    and heat's two APIs on one port clash on a host, and apache2 says so."""
    found = said_after(repo_copy, "httpd.conf.j2", "Listen {{ app.port }}", "Listen 8000",
                       "apache2 -t")  # fmt: skip
    assert len(found) == 2, found  # nova's second site, heat's second site
    # the line shown is the rendered site's, not the stand-in apache2 read
    assert all("('Listen 8000'): Cannot define multiple Listeners" in f for f in found), found


def test_visudo_rejects_a_rule_without_its_colon_in_every_sudoers(repo_copy, runs):
    """sudo's own parser reads every sudoers file in one visudo run, and
    still reports each broken file (it stops at its first error)."""
    assert findings(repo_copy, native=True) == []
    assert runs.count("visudo") == 1  # nova's, neutron's and cinder's
    found = said_after(repo_copy, "sudoers.j2", "NOPASSWD: /usr/bin/privsep-helper *",
                       "NOPASSWD /usr/bin/privsep-helper *", "visudo -c")  # fmt: skip
    assert len(found) == 3, found
    assert any(
        "visudo -c (sudoers of openstack-neutron): line 7 of the rendered file "
        "('neutron ALL = (root) NOPASSWD /usr/bin/privsep-helper *'): syntax error" in f
        for f in found
    ), found


def test_the_spec_parser_runs_what_a_spec_holds_only_inside_the_box(repo_copy, tmp_path):
    """rpm's parser runs %(...) and %{lua:...} while it expands macros: it
    does both unconfined, and neither reaches the host from validate."""
    import subprocess
    import uuid
    from pathlib import Path

    from opsbundle.engines import rpm

    markers = [Path(f"/tmp/opsbundle-made-by-{how}-{uuid.uuid4().hex}") for how in ("sh", "lua")]
    lines = (f"%global made %(touch {markers[0]})\n"
             f'%{{lua: io.open("{markers[1]}", "w"):close()}}\n')  # fmt: skip
    spec = tmp_path / "t.spec"
    spec.write_text(f"Name: t\nVersion: 1\nRelease: 1\nSummary: t\nLicense: MIT\n{lines}"
                    "%description\nt\n%files\n")  # fmt: skip
    done = subprocess.run([str(rpm.PYTHON), "-I", str(rpm.SCRIPT), str(spec)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    try:
        assert '"ok": true' in done.stdout
        assert [m.exists() for m in markers] == [True, True]
    finally:
        for m in markers:
            m.unlink(missing_ok=True)
    spec_template = repo_copy / "packaging/rpm/build/openstack.spec.j2"
    edit(spec_template, "%global py3 /usr/bin/python3\n", "%global py3 /usr/bin/python3\n" + lines)
    assert findings(repo_copy, native=True) == []
    assert [m.exists() for m in markers] == [False, False]

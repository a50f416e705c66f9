"""The package-build/v2 conformance suite passes for the shipped bundles and
fails for an implementation that moves logs, units, WSGI servers, sudo rules
or versions."""

from __future__ import annotations

from opsbundle import conformance
from opsbundle.checks import Context
from opsbundle.interfaces import Registry
from opsbundle.repo import discover

from ..checks.test_pkgbuild import edit


def results(root):
    ctx = Context(root, Registry(root), {b.ref: b for b in discover(root)})
    return conformance.run(ctx, ["package-build/v2"])


def failures(root):
    return sorted(f"{r.bundle} [{r.kind}] {r.case}" for r in results(root) if not r.ok)


def test_shipped_bundles_conform(repo_copy):
    found = results(repo_copy)
    assert {r.bundle for r in found} == {"packaging/rpm", "packaging/deb"}
    assert len(found) == 124
    assert failures(repo_copy) == []


def test_logs_moved_away_from_the_layout(repo_copy):
    edit(
        repo_copy / "packaging/deb/build/logrotate.j2",
        "{{ project.log_dir }}/*.log",
        "/srv/log/*.log",
    )
    assert failures(repo_copy) == [
        f"packaging/deb [logs where log-collection/v1 says, readable by group adm] {p} logrotate"
        for p in sorted(["cinder", "glance", "heat", "keystone", "neutron", "nova", "placement"])
    ]


def test_logs_only_their_owner_can_read(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/tmpfiles.conf.j2",
        "{{ project.log_dir }} 2750 {{ project.user }} adm",
        "{{ project.log_dir }} 2750 {{ project.user }} {{ project.user }}",
    )
    assert len(failures(repo_copy)) == 7


def test_a_unit_running_as_root(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/systemd.service.j2", "User={{ project.user }}", "User=root"
    )
    found = failures(repo_copy)
    assert len(found) == 17  # every daemon unit of rpm (its WSGI apps are httpd sites)
    assert (
        "packaging/rpm [units run the project as its user, with its config] "
        "nova-conductor.service" in found
    )


def test_a_daemon_started_without_its_config(repo_copy):
    edit(
        repo_copy / "packaging/deb/build/systemd.service.j2",
        "{% for file in unit.config_files %} --config-file {{ file }}{% endfor %}",
        "",
    )
    found = failures(repo_copy)
    assert (
        "packaging/deb [units run the project as its user, with its config] glance-api.service"
        in found
    )
    assert not [f for f in found if "keystone-api" in f]  # the uwsgi units are another line


def test_a_wsgi_site_on_another_port(repo_copy):
    edit(repo_copy / "packaging/rpm/build/httpd.conf.j2", "Listen {{ app.port }}", "Listen 80")
    assert failures(repo_copy) == [
        f"packaging/rpm [WSGI applications served on their documented port] {a} httpd"
        for a in (
            "cinder-api",
            "glance-api",
            "heat-api",
            "heat-api-cfn",
            "keystone-api",
            "neutron-api",
            "nova-api",
            "nova-metadata-api",
            "placement-api",
        )
    ]


def test_sudo_rules_beyond_rootwrap(repo_copy):
    path = repo_copy / "packaging/rpm/build/sudoers.j2"
    path.write_text(path.read_text() + "{{ project.user }} ALL = (root) NOPASSWD: ALL\n")
    assert failures(repo_copy) == [
        f"packaging/rpm [sudo only through rootwrap and privsep] {p} sudoers"
        for p in ("cinder", "neutron", "nova")
    ]


def test_sudo_without_privsep(repo_copy):
    edit(
        repo_copy / "packaging/deb/build/sudoers.j2",
        "NOPASSWD: /usr/bin/privsep-helper *",
        "NOPASSWD: /usr/bin/true",
    )
    assert len(failures(repo_copy)) == 3


def test_a_version_without_the_tilde_spelling(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/openstack.spec.j2",
        "{{ build.version }}\n",
        "{{ build.pbr_version }}\n",
    )
    assert len(failures(repo_copy)) == 8

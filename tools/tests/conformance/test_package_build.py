"""The package-build/v1 conformance suite passes for the shipped bundles and
fails for an implementation that moves logs, units, sudo rules or versions."""

from __future__ import annotations

from opsbundle import conformance
from opsbundle.checks import Context
from opsbundle.interfaces import Registry
from opsbundle.repo import discover

from ..checks.test_pkgbuild import edit


def results(root):
    ctx = Context(root, Registry(root), {b.ref: b for b in discover(root)})
    return conformance.run(ctx, ["package-build/v1"])


def failures(root):
    return sorted(f"{r.bundle} [{r.kind}] {r.case}" for r in results(root) if not r.ok)


def test_shipped_bundles_conform(repo_copy):
    found = results(repo_copy)
    assert {r.bundle for r in found} == {"packaging/rpm", "packaging/deb"}
    assert len(found) == 84
    assert failures(repo_copy) == []


def test_logs_moved_away_from_the_layout(repo_copy):
    edit(
        repo_copy / "packaging/deb/build/logrotate.j2",
        "{{ project.log_dir }}/*.log",
        "/srv/log/*.log",
    )
    assert failures(repo_copy) == [
        f"packaging/deb [logs where log-collection/v1 says] {p} logrotate"
        for p in sorted(["cinder", "glance", "keystone", "neutron", "nova", "placement"])
    ]


def test_a_unit_running_as_root(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/systemd.service.j2", "User={{ project.user }}", "User=root"
    )
    found = failures(repo_copy)
    assert len(found) == 14
    assert "packaging/rpm [units run the project as its user] nova-api.service" in found


def test_sudo_rules_beyond_rootwrap(repo_copy):
    path = repo_copy / "packaging/rpm/build/sudoers.j2"
    path.write_text(path.read_text() + "{{ project.user }} ALL = (root) NOPASSWD: ALL\n")
    assert failures(repo_copy) == [
        f"packaging/rpm [sudo only through rootwrap] {p} sudoers"
        for p in ("cinder", "neutron", "nova")
    ]


def test_a_version_without_the_tilde_spelling(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/openstack.spec.j2",
        "{{ build.version }}\n",
        "{{ build.pbr_version }}\n",
    )
    assert len(failures(repo_copy)) == 7

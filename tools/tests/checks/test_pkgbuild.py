"""package-build/v2 sections: structure (checks/pkgbuild.py) and their build
templates (checks/templates.py) are checked by `opsbundle validate`."""

from __future__ import annotations

from pathlib import Path

from opsbundle.validate import Options, run


def findings(root: Path, native: bool = False):
    report = run(root, Options(names=["packaging/rpm"], cache=False, native=native))
    return [f.as_text() for f in report.findings]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_shipped_rpm_bundle_is_clean(repo_copy):
    assert findings(repo_copy) == []


def test_a_template_variable_that_is_no_parameter_nor_build_name(repo_copy):
    edit(repo_copy / "packaging/rpm/build/logrotate.j2", "rotate 14", "rotate {{ keep_weeks }}")
    (found,) = findings(repo_copy)
    assert found.startswith(
        "packaging/rpm/build/logrotate.j2:6:1: TPL002 'keep_weeks' is not a declared parameter "
        "nor one of app, build, conf, project, unit"
    )


def test_a_template_that_fails_for_one_project(repo_copy):
    edit(
        repo_copy / "packaging/rpm/build/openstack.spec.j2",
        "{{ project.url }}",
        "{{ project.homepage }}",
    )
    (found,) = findings(repo_copy)
    assert "openstack.spec.j2:17:1: TPL003 does not render for project" in found
    assert "has no attribute 'homepage'" in found


def test_a_missing_template_and_an_unknown_project(repo_copy):
    manifest = repo_copy / "packaging/rpm/manifest.yaml"
    edit(manifest, "      sudoers: build/sudoers.j2\n", "")
    edit(
        manifest,
        "      glance: {data: projects/glance.yaml}",
        "      swift: {data: projects/glance.yaml}",
    )
    edit(manifest, "config: build/project.conf.j2", "config: ../../etc/passwd")
    found = "\n".join(findings(repo_copy))
    assert "PKG001 the rpm build renders sudoers, which templates lacks" in found
    assert "PKG003 'swift' is not a project of package-build/v2" in found
    assert "PKG002 source '../../etc/passwd' leaves the bundle" in found


def test_project_data_may_not_redefine_what_the_interface_fixes(repo_copy):
    edit(
        repo_copy / "packaging/rpm/projects/nova.yaml",
        "license: Apache-2.0",
        "log_dir: /srv/logs\nlicense: x",
    )
    (found,) = findings(repo_copy)
    assert "PKG003" in found and "redefines log_dir" in found


def test_a_scaffolded_package_build_bundle_validates(repo_copy):
    from opsbundle.cli import main

    args = ["new", "packaging/site-rpm", "--root", str(repo_copy), "--tool", "rpm"]
    assert main([*args, "--implements", "package-build/v2", "--service", "nova"]) == 0
    report = run(repo_copy, Options(names=["packaging/site-rpm"], cache=False, native=True))
    assert [f.as_text() for f in report.findings] == []
    manifest = repo_copy / "packaging/site-rpm/manifest.yaml"
    edit(manifest, "projects: {}", "projects: {nova: {data: nova.yaml}}")
    report = run(repo_copy, Options(names=["packaging/site-rpm"], cache=False))
    found = "\n".join(f.as_text() for f in report.findings)
    assert "PKG001 the rpm build renders spec, unit, logrotate" in found
    assert "PKG003" in found and "nova.yaml" in found

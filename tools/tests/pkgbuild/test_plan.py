"""The build plan: package names, log directories from log-collection/v1,
which templates a project gets, requirements as rpm dependencies."""

from __future__ import annotations

import pytest
from opsbundle.checks import Context
from opsbundle.interfaces import Registry
from opsbundle.pkgbuild import plan
from opsbundle.repo import discover

from ..conftest import ROOT


@pytest.fixture(scope="module")
def ctx():
    return Context(ROOT, Registry(ROOT), {b.ref: b for b in discover(ROOT)})


@pytest.mark.parametrize("bundle, layout", [("packaging/rpm", "rdo"), ("packaging/deb", "debian")])
def test_every_project_logs_where_its_layout_says(ctx, bundle, layout):
    layouts = ctx.registry.interfaces["log-collection/v1"].data["layouts"]
    b = ctx.bundle(bundle)
    for name in plan.section(b)["projects"]:
        proj = plan.project(ctx, b, name)
        assert proj["log_dir"] == layouts[layout]["path"].format(service=name)


def test_package_names(ctx):
    b = ctx.bundle("packaging/rpm")
    assert plan.project(ctx, b, "nova")["package"] == "openstack-nova"
    assert plan.project(ctx, b, "os-service-types")["package"] == "python3-os-service-types"
    assert plan.package_name("x", {"kind": "library", "dist": "oslo.i18n"}) == "python3-oslo-i18n"


def test_which_templates_a_project_gets(ctx):
    b = ctx.bundle("packaging/rpm")
    nova = plan.project(ctx, b, "nova")
    lib = plan.project(ctx, b, "os-service-types")
    glance = plan.project(ctx, b, "glance")
    assert [u["name"] for u in plan.renderings("unit", nova)][:2] == ["nova-api", "nova-conductor"]
    assert plan.renderings("sudoers", nova) == [None]
    assert plan.renderings("sudoers", glance) == []
    assert plan.renderings("logrotate", lib) == []
    assert plan.renderings("spec", lib) == [None]


def test_requirements_become_rpm_dependencies(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "# comment\npbr!=2.1.0,>=2.0.0 # Apache-2.0\noslo.config>=9.0.0\n"
        "typing_extensions\neventlet>=9.1,>=10.0\n"
        "pywin32>=1.0;sys_platform=='win32'\n-c constraints.txt\n"
    )
    assert plan.python_requires(tmp_path) == [
        {"name": "pbr", "min": "2.0.0"},
        {"name": "oslo-config", "min": "9.0.0"},
        {"name": "typing-extensions", "min": ""},
        {"name": "eventlet", "min": "10.0"},
    ]


def test_a_bad_requirement_is_a_plan_error(tmp_path):
    (tmp_path / "requirements.txt").write_text("oslo.config >>= 1\n")
    with pytest.raises(plan.PlanError, match="requirements.txt"):
        plan.python_requires(tmp_path)


def test_unknown_log_layout_is_a_plan_error(ctx):
    with pytest.raises(plan.PlanError, match="kolla2"):
        plan.log_dir(ctx, "kolla2", "nova")

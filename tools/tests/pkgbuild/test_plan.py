"""The build plan: package names, log directories from log-collection/v1,
and which units, WSGI applications, config files and sudo rules a package
gets, decided by the source being built (real PyPI sdists of several
releases) and, without a source, by everything the catalogue lists."""

from __future__ import annotations

import pytest
from opsbundle.checks import Context
from opsbundle.interfaces import Registry
from opsbundle.pkgbuild import entrypoints, plan, requires
from opsbundle.repo import discover

from ..conftest import ROOT, sdist


@pytest.fixture(scope="module")
def ctx():
    return Context(ROOT, Registry(ROOT), {b.ref: b for b in discover(ROOT)})


def built(ctx, bundle: str, name: str, source):
    """The project as a build of `source` sees it."""
    b = ctx.bundle(bundle)
    reqs = requires.read(source, plan.project(ctx, b, name).get("extras") or ())
    return plan.project(ctx, b, name, entrypoints.read(source), reqs)


def units(proj) -> list[tuple[str, str]]:
    return [(u["name"], u["kind"]) for u in proj["units"]]


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


def test_nova_32_has_no_eventlet_api_its_wsgi_apps_are_units(ctx):
    proj = built(ctx, "packaging/deb", "nova", sdist("nova", "32.0.0"))
    assert units(proj) == [
        ("nova-conductor", "daemon"),
        ("nova-scheduler", "daemon"),
        ("nova-compute", "daemon"),
        ("nova-novncproxy", "daemon"),
        ("nova-serialproxy", "daemon"),
        ("nova-spicehtml5proxy", "daemon"),
        ("nova-api", "wsgi"),
        ("nova-metadata-api", "wsgi"),
    ]
    api = next(a for a in proj["apps"] if a["name"] == "nova-api")
    assert (api["port"], api["module"], api["script"]) == (8774, "nova.wsgi.osapi_compute",
                                                           "nova-api-wsgi")  # fmt: skip
    # rpm: httpd serves the WSGI applications, so they are no units there
    rpm = built(ctx, "packaging/rpm", "nova", sdist("nova", "32.0.0"))
    assert [u["name"] for u in rpm["units"]] == [u for u, k in units(proj) if k == "daemon"]
    assert proj["sudo"] == {"rootwrap": True, "rootwrap_daemon": False, "privsep": True}
    assert proj["filters"] == {"from": ["etc/nova/rootwrap.d/*"], "to": "/etc/nova/rootwrap.d"}
    assert rpm["filters"]["to"] == "/usr/share/nova/rootwrap"


def test_neutron_27_units_read_their_agent_files_and_conf_dirs(ctx):
    proj = built(ctx, "packaging/rpm", "neutron", sdist("neutron", "27.0.0"))
    by_name = {u["name"]: u for u in proj["units"]}
    assert "neutron-server" not in by_name  # not in 27's console scripts
    agent = by_name["neutron-openvswitch-agent"]
    assert agent["config_files"] == [
        "/etc/neutron/neutron.conf",
        "/etc/neutron/plugins/ml2/openvswitch_agent.ini",
    ]
    assert agent["config_dirs"] == [
        "/etc/neutron/conf.d/common",
        "/etc/neutron/conf.d/neutron-openvswitch-agent",
    ]
    assert agent["requires"] == ["openvswitch.service"]
    assert by_name["neutron-rpc-server"]["config_files"][1] == "/etc/neutron/plugin.ini"
    assert proj["sudo"] == {"rootwrap": True, "rootwrap_daemon": True, "privsep": True}
    files = {c["file"] for c in proj["config_files"]}
    assert {"neutron.conf", "dhcp_agent.ini", "plugins/ml2/ml2_conf.ini"} <= files
    assert "plugin.ini" not in files  # a link to plugins/ml2/ml2_conf.ini


def test_keystone_wsgi_by_script_in_zed_by_module_in_later_releases(ctx):
    zed = built(ctx, "packaging/deb", "keystone", sdist("keystone", "22.0.2"))
    assert units(zed) == [("keystone-api", "wsgi")]
    assert (zed["apps"][0]["script"], zed["apps"][0]["module"]) == ("keystone-wsgi-public", None)
    later = built(ctx, "packaging/deb", "keystone", sdist("keystone", "28.0.0"))
    assert (later["apps"][0]["script"], later["apps"][0]["module"]) == (None, "keystone.wsgi.api")
    assert zed["unknown"] == later["unknown"] == []
    assert zed["sudo"] == {"rootwrap": False, "rootwrap_daemon": False, "privsep": False}


def test_glance_reads_glance_api_conf_and_ships_its_wsgi_app_unserved(ctx):
    proj = built(ctx, "packaging/deb", "glance", sdist("glance", "25.1.0"))
    assert units(proj) == [("glance-api", "daemon")]
    assert proj["units"][0]["config_files"] == ["/etc/glance/glance-api.conf"]
    assert [(a["name"], a["served"]) for a in proj["apps"]] == [("glance-api", False)]


def test_a_wsgi_application_the_catalogue_does_not_know_is_reported(ctx, tmp_path):
    (tmp_path / "setup.cfg").write_text(
        "[metadata]\nname = placement\n[files]\npackages = placement\n"
        "[entry_points]\nwsgi_scripts =\n    placement-api = placement.wsgi:init\n"
    )
    (tmp_path / "placement" / "wsgi").mkdir(parents=True)
    (tmp_path / "placement/wsgi/reports.py").write_text("application = object()\n")
    (tmp_path / "placement/wsgi/helpers.py").write_text("def application_factory(): ...\n")
    proj = built(ctx, "packaging/deb", "placement", tmp_path)
    assert proj["unknown"] == ["placement.wsgi.reports"]
    assert units(proj) == [("placement-api", "wsgi")]


def test_validation_renders_everything_the_catalogue_lists(ctx):
    proj = plan.project(ctx, ctx.bundle("packaging/deb"), "nova")
    names = {u["name"] for u in proj["units"]}
    # every daemon not replaced by an application, and every application
    assert {"nova-conductor", "nova-compute", "nova-api", "nova-metadata-api"} <= names
    assert proj["sudo"]["privsep"] and proj["sudo"]["rootwrap"]


def test_which_templates_a_project_gets(ctx):
    b = ctx.bundle("packaging/rpm")
    nova = plan.project(ctx, b, "nova")
    lib = plan.project(ctx, b, "os-service-types")
    glance = plan.project(ctx, b, "glance")
    assert plan.renderings("sudoers", nova) == [None]
    assert plan.renderings("sudoers", glance) == []
    assert plan.renderings("logrotate", lib) == []
    assert plan.renderings("unit", lib) == []
    assert plan.renderings("spec", lib) == [None]
    assert [c["file"] for c in plan.renderings("config", glance)] == ["glance-api.conf"]
    assert [a["name"] for a in plan.renderings("httpd", glance)] == ["glance-api"]


def test_unknown_log_layout_is_a_plan_error(ctx):
    with pytest.raises(plan.PlanError, match="kolla2"):
        plan.log_dir(ctx, "kolla2", "nova")


def test_heat_apis_run_under_wsgi_and_the_engine_as_a_daemon(ctx):
    """heat 23 (2024.2) offers its APIs as pbr wsgi_scripts, heat 24 also as
    heat.wsgi modules; either way the eventlet heat-api and heat-api-cfn get
    no unit once the source has the WSGI applications."""
    h23 = built(ctx, "packaging/deb", "heat", sdist("openstack-heat", "23.0.0"))
    assert units(h23) == [("heat-engine", "daemon"), ("heat-api", "wsgi"), ("heat-api-cfn", "wsgi")]
    assert [(a["name"], a["port"], a["script"], a["module"]) for a in h23["apps"]] == [
        ("heat-api", 8004, "heat-wsgi-api", None),
        ("heat-api-cfn", 8000, "heat-wsgi-api-cfn", None),
    ]
    h24 = built(ctx, "packaging/rpm", "heat", sdist("openstack-heat", "24.0.0"))
    assert [(a["name"], a["module"]) for a in h24["apps"]] == [
        ("heat-api", "heat.wsgi.api"),
        ("heat-api-cfn", "heat.wsgi.cfn"),
    ]
    assert [u["name"] for u in h24["units"]] == ["heat-engine"]  # httpd serves the APIs
    assert h23["unknown"] == h24["unknown"] == []
    assert h23["sudo"] == {"rootwrap": False, "rootwrap_daemon": False, "privsep": False}

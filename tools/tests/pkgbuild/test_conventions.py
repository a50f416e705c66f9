"""The distributions' conventions each package follows, checked on what the
bundles render for every project (the values validation uses) against the
distributions' own files, and against the sources' own rootwrap.conf:

- RDO's openstack-<p>.spec %pre: `groupadd -r --gid N` / `useradd -u N` with
  glance 161, nova 162, keystone 163 (rhbz#752842), cinder 165, heat 187
  (rhbz#845078); neutron and placement get no fixed id; `%pre compute: usermod -a -G qemu nova` (and
  libvirt's group).
- Debian's openstack-pkg-tools pkgos_adduser (pkgos_func): `--uid/--gid`
  64060 nova, 64061 cinder, 64062 glance (bug #884178), every other user
  dynamic; nova-compute-kvm's postinst puts nova in group libvirt.
- RDO's neutron-openvswitch-agent.service Requires=openvswitch.service,
  Debian's Requires=openvswitch-switch.service.
Building and installing those packages is in test_build_rpm/test_build_deb
and the test cloud (which runs the deb's postinst)."""

from __future__ import annotations

import configparser
import re

import pytest
from opsbundle.checks import Context
from opsbundle.interfaces import Registry
from opsbundle.pkgbuild import entrypoints, plan, requires
from opsbundle.pkgbuild.build import Job
from opsbundle.repo import discover

from ..conftest import ROOT, sdist

RDO_UIDS = {"glance": 161, "nova": 162, "keystone": 163, "cinder": 165, "heat": 187}
DEBIAN_UIDS = {"nova": 64060, "cinder": 64061, "glance": 64062}
SERVICES = ("keystone", "nova", "neutron", "glance", "cinder", "placement", "heat")
OVS_SWITCH = {"packaging/rpm": "openvswitch.service", "packaging/deb": "openvswitch-switch.service"}


@pytest.fixture(scope="module")
def ctx():
    return Context(ROOT, Registry(ROOT), {b.ref: b for b in discover(ROOT)})


def job(ctx, bundle: str, name: str, source=None) -> Job:
    b = ctx.bundle(bundle)
    family = plan.section(b)["family"]
    if source is None:
        proj = plan.project(ctx, b, name)
    else:
        reqs = requires.read(source, plan.project(ctx, b, name).get("extras") or ())
        proj = plan.project(ctx, b, name, entrypoints.read(source), reqs)
    return Job(ctx, b, proj, None, b.sample_values(), None, plan.sample_build(family))


def service_section(text: str) -> dict:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return {s: dict(parser[s]) for s in parser.sections()}


@pytest.mark.parametrize("name", SERVICES)
def test_rpm_users_have_rdos_fixed_ids(ctx, name):
    spec = job(ctx, "packaging/rpm", name).render("spec")
    pre = spec.split("\n%pre\n", 1)[1].split("\n%", 1)[0]
    uid = RDO_UIDS.get(name)
    if uid is None:
        assert f"groupadd -r {name}\n" in pre and "--gid" not in pre and " -u " not in pre
    else:
        assert f"groupadd -r --gid {uid} {name}\n" in pre
        assert re.search(rf"useradd -r -u {uid} -g {name} ", pre)


@pytest.mark.parametrize("name", SERVICES)
def test_deb_users_have_the_ids_debian_reserves(ctx, name):
    postinst = job(ctx, "packaging/deb", name).render("postinst")
    uid = DEBIAN_UIDS.get(name)
    if uid is None:
        assert f"addgroup --quiet --system {name}\n" in postinst and "--uid" not in postinst
    else:
        assert f"addgroup --quiet --system --gid {uid} {name}\n" in postinst
        assert f"--ingroup {name} --uid {uid} " in postinst


def test_nova_joins_the_hypervisors_groups_when_they_exist(ctx):
    spec = job(ctx, "packaging/rpm", "nova").render("spec")
    for group in ("qemu", "libvirt"):
        assert f"getent group {group} >/dev/null && usermod -a -G {group} nova || :" in spec
    postinst = job(ctx, "packaging/deb", "nova").render("postinst")
    assert re.search(r"if getent group libvirt >/dev/null; then\s+adduser --quiet nova libvirt",
                     postinst)  # fmt: skip
    for other in ("keystone", "glance", "placement"):
        assert "usermod -a -G" not in job(ctx, "packaging/rpm", other).render("spec")


@pytest.mark.parametrize("bundle", sorted(OVS_SWITCH))
def test_units_limits_notify_and_the_ovs_agents_switch(ctx, bundle):
    catalogue = plan.catalogue(ctx)
    seen = 0
    for name in SERVICES:
        daemons = {d["exec"]: d for d in catalogue[name]["daemons"]}
        for unit, text in job(ctx, bundle, name).renderings("unit"):
            sections = service_section(text)
            service = sections["Service"]
            assert service["LimitNOFILE"] == "65535", unit["name"]
            notify = unit["kind"] == "daemon" and daemons[unit["exec"]]["notify"]
            assert service["Type"] == ("notify" if notify else "simple"), unit["name"]
            if notify:
                assert service["NotifyAccess"] == "all"
            requires_ = sections["Unit"].get("Requires", "").split()
            if unit["name"] == "neutron-openvswitch-agent":
                assert requires_ == [OVS_SWITCH[bundle]]
                assert OVS_SWITCH[bundle] in sections["Unit"]["After"].split()
            else:
                assert requires_ == [], unit["name"]
            seen += 1
    assert seen > 10


@pytest.mark.parametrize("name, version, conf", [
    ("nova", "32.0.0", "etc/nova/rootwrap.conf"),
    ("neutron", "27.0.0", "etc/rootwrap.conf"),
])  # fmt: skip
def test_rootwrap_filters_land_where_the_sources_rootwrap_conf_looks(ctx, name, version, conf):
    source = sdist(name, version)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string((source / conf).read_text())
    filters_path = parser["DEFAULT"]["filters_path"].split(",")
    for bundle in ("packaging/rpm", "packaging/deb"):
        built = job(ctx, bundle, name, source)
        target = built.project["filters"]["to"]
        assert target in filters_path, (bundle, target, filters_path)
        # and the package installs that rootwrap.conf unchanged
        assert conf in built.project["config"]


def test_neutron_sudoers_allow_the_rootwrap_daemon_and_privsep(ctx):
    for bundle in ("packaging/rpm", "packaging/deb"):
        text = next(t for _, t in job(ctx, bundle, "neutron").renderings("sudoers"))
        rules = [ln.split("NOPASSWD:", 1)[1].strip() for ln in text.splitlines()
                 if "NOPASSWD:" in ln]  # fmt: skip
        assert rules == [
            "/usr/bin/neutron-rootwrap /etc/neutron/rootwrap.conf *",
            "/usr/bin/neutron-rootwrap-daemon /etc/neutron/rootwrap.conf",
            "/usr/bin/privsep-helper *",
        ], bundle


def _install_guide(source) -> str:
    """The project's install guide (doc/source/install/*.rst), its shell
    lines joined where they continue with a backslash."""
    text = "\n".join(p.read_text() for p in sorted((source / "doc/source/install").rglob("*.rst")))
    return re.sub(r"\s+", " ", text.replace("\\\n", " "))


# each WSGI application, the sdist whose own documentation gives its port, and how
DOCUMENTED = [
    ("keystone-api", "keystone", "22.0.2", r"--bootstrap-public-url http://controller:(\d+)"),
    ("placement-api", "openstack-placement", "8.0.0", r"placement public http://controller:(\d+)"),
    ("nova-api", "nova", "32.0.0", r"compute public http://controller:(\d+)"),
    ("glance-api", "glance", "25.1.0", r"image public http://controller:(\d+)"),
    ("neutron-api", "neutron", "27.0.0", r"network public http://controller:(\d+)"),
    ("cinder-api", "cinder", "25.0.0", r"volumev3 public http://controller:(\d+)"),
    ("heat-api", "openstack-heat", "23.0.0", r"orchestration public http://controller:(\d+)"),
    ("heat-api-cfn", "openstack-heat", "23.0.0", r"cloudformation public http://controller:(\d+)"),
]


@pytest.mark.parametrize("app, dist, version, endpoint", DOCUMENTED)
def test_each_wsgi_api_is_on_the_port_its_install_guide_registers(ctx, app, dist, version,
                                                                   endpoint):  # fmt: skip
    """The catalogue's port is the one the project's own install guide
    registers in keystone's catalog (`openstack endpoint create ... public`)."""
    ports = {a["name"]: a["port"] for p in plan.catalogue(ctx).values() for a in p["wsgi"]}
    documented = set(re.findall(endpoint, _install_guide(sdist(dist, version))))
    assert documented == {str(ports[app])}, (app, documented)


def test_the_metadata_api_is_on_the_port_neutrons_metadata_agent_calls(ctx):
    """nova's metadata API has no endpoint: neutron's metadata agent finds it
    at its `nova_metadata_port` option's default (neutron/conf/agent/metadata)."""
    ports = {a["name"]: a["port"] for p in plan.catalogue(ctx).values() for a in p["wsgi"]}
    text = (sdist("neutron", "27.0.0") / "neutron/conf/agent/metadata/config.py").read_text()
    m = re.search(r"PortOpt\('nova_metadata_port',\s*default=(\d+)", text)
    assert m and int(m[1]) == ports["nova-metadata-api"]


# what makes systemd's readiness notification happen: oslo.service's launchers
# (service.launch / serve, ProcessLauncher, ServiceLauncher call
# systemd.notify_once when their workers run) or a direct notify_once
_NOTIFIES = re.compile(
    r"\b(?:service\.(?:serve|launch)|ProcessLauncher|ServiceLauncher|systemd\.notify_once)\("
)


def _module_file(source, module: str):
    base = source / module.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported(text: str, package: str) -> set[str]:
    """The package's own modules a module's text names: imports (`from a
    import b` may name a module b) and dotted module names in strings
    (os-ken loads its apps by name)."""
    text = text.replace("\\\n", " ")
    found = set()
    for m in re.finditer(rf"(?m)^\s*from ({package}(?:\.\w+)*)\s+import\s+\(?([\w, \n]+)", text):
        found.add(m[1])
        found |= {f"{m[1]}.{name}" for name in re.findall(r"\w+", m[2])}
    found |= set(re.findall(rf"(?m)^\s*import ({package}(?:\.\w+)+)", text))
    joined = re.sub(r"(['\"])\s*\1", "", text)  # 'a.' 'b' is 'a.b'
    found |= set(re.findall(rf"['\"]({package}(?:\.\w+)+)['\"]", joined))
    return found


def _reaches_a_notification(source, package: str, module: str) -> bool:
    seen, todo = set(), [module]
    while todo:
        path = _module_file(source, todo.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        text = path.read_text()
        if _NOTIFIES.search(text):
            return True
        todo += sorted(_imported(text, package))
    return False


@pytest.mark.parametrize("name, dist, version", [
    ("nova", "nova", "32.0.0"),
    ("neutron", "neutron", "27.0.0"),
    ("glance", "glance", "25.1.0"),
    ("heat", "openstack-heat", "23.0.0"),
])  # fmt: skip
def test_type_notify_exactly_where_the_source_notifies(ctx, name, dist, version):
    """A daemon's unit is Type=notify when the code its console script
    imports calls sd_notify (a unit whose program never notifies would
    never finish starting), Type=simple otherwise. Read from the source:
    the modules the console script's module reaches through imports."""
    source = sdist(dist, version)
    setup = configparser.ConfigParser(interpolation=None)
    setup.read_string((source / "setup.cfg").read_text())
    scripts = dict(
        (part.strip() for part in line.split("=", 1))
        for line in setup["entry_points"]["console_scripts"].strip().splitlines()
    )
    catalogue = plan.catalogue(ctx)[name]
    checked = {}
    for daemon in catalogue["daemons"]:
        target = scripts.get(daemon["exec"])
        if target is None:
            continue  # not in this release (nova 32 has no eventlet nova-api)
        module = target.split(":", 1)[0]
        checked[daemon["exec"]] = (daemon["notify"], _reaches_a_notification(source, name, module))
    assert checked and all(ours == source_says for ours, source_says in checked.values()), checked

"""The opsbundles.deploy collection, built with ansible-galaxy and run by real
ansible-core on three inventory hosts (deploy_harness.py: each a private root
at the real paths), over real renders of shipped bundles: the real nagios4 and
promtool check what lands (icinga2's check runs in test_site_flow.py, rsyslogd's
in the render-index/v1 conformance suite, the same way).

One site, deployed in order: first run (changes, checks pass, each action
once, per role), second run (changed=0), --check --diff of an edit (shown,
nothing written, nothing run), a failing validate (old file kept), pruning
of a dropped file (removed, its service reloaded), secrets never printed.
"""

from __future__ import annotations

import grp
import hashlib
import json
import stat
import subprocess
import sys

import pytest
from conftest import REAL_ROOT
from opsbundle import __version__

from .deploy_harness import Site, recap

HOSTS = {"ctl1": [], "cmp1": [], "mon1": []}
# Kolla-Ansible's inventory group names, mapped to our roles
GROUPS = {"control": ["ctl1"], "compute": ["cmp1"], "monitoring": ["mon1"]}
ROLE_GROUPS = {"controller": ["control"], "compute": ["compute"], "monitoring": ["monitoring"]}
INVENTORY = REAL_ROOT / "monitoring/inventory.example.yaml"
RENDERS = {
    "monitoring/nagios": [INVENTORY, REAL_ROOT / "monitoring/nagios/tests/values.yaml"],
    "monitoring/prometheus": [INVENTORY, REAL_ROOT / "monitoring/prometheus/tests/values.yaml"],
    "monitoring/zabbix": [INVENTORY],
}
SECRETS = ("placeholder-openstack-password", "placeholder-rabbitmq-password")
NAGIOS_OBJECTS = "/etc/nagios4/conf.d/opsbundles-openstack.cfg"
NRPE = "/etc/nagios/nrpe.d/opsbundles-openstack.cfg"
RULES = "/etc/prometheus/rules/opsbundles-openstack.rules.yml"


def render(ref, out, *extra):
    cmd = [sys.executable, "-m", "opsbundle", "render", ref, "-o", str(out), "--force"]
    for values in RENDERS[ref]:
        cmd += ["--values", str(values)]
    done = subprocess.run(
        [*cmd, *extra], cwd=REAL_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("site")
    s = Site(work, HOSTS, GROUPS)
    s.tarball = s.build_collection()
    s.renders = {ref: render(ref, work / "rendered" / ref.replace("/", "-")) for ref in RENDERS}
    yield s
    s.zabbix.stop()


def _play(site, refs=None, *args):
    renders = [site.renders[r] for r in (refs or RENDERS)]
    done = site.run(site.playbook(renders, ROLE_GROUPS), *args)
    return done, recap(done.stdout)


def _no_secret(output: str) -> None:
    for secret in SECRETS:
        assert secret not in output, f"{secret} was printed"


@pytest.fixture(scope="module")
def first(site):
    done, counts = _play(site)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done, counts


def test_collection_builds_with_ansible_galaxy(site):
    assert site.tarball.name == f"opsbundles-deploy-{__version__}.tar.gz"


def test_first_run_places_files_by_role(site, first):
    _, counts = first
    assert all(counts[h]["changed"] > 0 and counts[h]["failed"] == 0 for h in HOSTS), counts
    nagios = site.renders["monitoring/nagios"]
    index = json.loads((nagios / "index.json").read_text())
    objects = next(f for f in index["files"] if f["dest"] == NAGIOS_OBJECTS)
    on_mon = site.path("mon1", NAGIOS_OBJECTS)
    assert hashlib.sha256(on_mon.read_bytes()).hexdigest() == objects["sha256"]
    assert stat.S_IMODE(on_mon.stat().st_mode) == 0o644
    resource = site.path("mon1", "/etc/nagios4/opsbundles-resource.cfg")
    assert stat.S_IMODE(resource.stat().st_mode) == 0o640
    assert grp.getgrgid(resource.stat().st_gid).gr_name == "nagios"
    # the NRPE file goes to the monitored hosts, the object file to the server
    assert site.path("ctl1", NRPE).is_file() and site.path("cmp1", NRPE).is_file()
    assert not site.path("ctl1", NAGIOS_OBJECTS).exists()
    assert not site.path("mon1", NRPE).exists()
    # controllers only: the mysqld exporter's credentials and its ARGS edit
    args = site.path("ctl1", "/etc/default/prometheus-mysqld-exporter").read_text()
    assert 'ARGS="--config.my-cnf /etc/prometheus/mysqld_exporter.cnf"' in args
    assert not site.path("cmp1", "/etc/prometheus/mysqld_exporter.cnf").exists()


def test_first_run_edits_main_configs(site, first):
    nagios_cfg = site.path("mon1", "/etc/nagios4/nagios.cfg").read_text()
    assert "resource_file=/etc/nagios4/opsbundles-resource.cfg" in nagios_cfg.splitlines()
    assert nagios_cfg.count("cfg_dir=/etc/nagios4/conf.d\n") == 1
    prometheus = site.path("mon1", "/etc/prometheus/prometheus.yml").read_text()
    assert RULES in prometheus and "opsbundles-node" in prometheus


def test_first_run_runs_each_action_once_on_the_right_hosts(site, first):
    actions = sorted(site.actions())
    assert actions == sorted(
        [
            "mon1 nagios4 reload",
            "mon1 prometheus reload",
            "mon1 prometheus-alertmanager reload",
            "mon1 prometheus-blackbox-exporter reload",
            "mon1 openstack-exporter restart",
            "ctl1 nagios-nrpe-server reload",
            "cmp1 nagios-nrpe-server reload",
            "ctl1 prometheus-mysqld-exporter restart",
        ]
    )
    login, imported = site.zabbix.requests
    assert login["method"] == "user.login"
    assert imported["method"] == "configuration.import"
    dest = "/etc/zabbix/opsbundles/openstack-templates.yaml"
    assert imported["params"]["source"] == site.path("mon1", dest).read_text()
    assert imported["params"]["rules"]["templates"] == {
        "createMissing": True,
        "updateExisting": True,
    }


def test_first_run_prints_no_secret(first):
    _no_secret(first[0].stdout + first[0].stderr)


@pytest.fixture(scope="module")
def second(site, first):
    before = len(site.actions())
    done, counts = _play(site)
    return done, counts, site.actions()[before:]


def test_second_run_changes_nothing(second):
    done, counts, actions = second
    assert done.returncode == 0, done.stdout[-3000:]
    assert {h: c["changed"] for h, c in counts.items()} == {h: 0 for h in HOSTS}
    assert actions == []


def test_check_diff_shows_an_edit_and_changes_nothing(site, second):
    nagios = site.renders["monitoring/nagios"]
    render("monitoring/nagios", nagios, "--set", "contact_email=oncall@example.org")
    before = site.path("mon1", NAGIOS_OBJECTS).read_bytes()
    count = len(site.actions())
    done, counts = _play(site, ["monitoring/nagios"], "--check", "--diff")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "-    email                           cloud-ops@example.org" in done.stdout
    assert "+    email                           oncall@example.org" in done.stdout
    assert counts["mon1"]["changed"] >= 1
    assert site.path("mon1", NAGIOS_OBJECTS).read_bytes() == before
    assert len(site.actions()) == count
    _no_secret(done.stdout)


@pytest.fixture(scope="module")
def broken_validate(site, second):
    """prometheus' rules file no longer passes its validate."""
    rendered = site.renders["monitoring/prometheus"]
    index = json.loads((rendered / "index.json").read_text())
    entry = next(f for f in index["files"] if f["dest"] == RULES)
    path = rendered / entry["source"]
    path.write_text(path.read_text() + "\n  - this is: [not a rule\n")
    before = site.path("mon1", RULES).read_bytes()
    done, counts = _play(site, ["monitoring/prometheus"])
    render("monitoring/prometheus", rendered)
    return done, counts, before


def test_failing_validate_keeps_the_old_file(site, broken_validate):
    done, counts, before = broken_validate
    assert done.returncode != 0
    assert counts["mon1"]["failed"] == 1
    assert "promtool check rules" in done.stdout
    assert site.path("mon1", RULES).read_bytes() == before


@pytest.fixture(scope="module")
def rolled_back_and_pruned(site, second):
    """One nagios run: the object file now defines a host Debian's stock
    objects define too (its own validate passes, the installed check does
    not), and the NRPE file was dropped from the render."""
    nagios = site.renders["monitoring/nagios"]
    render("monitoring/nagios", nagios)  # as deployed: the --check run wrote nothing
    index_path = nagios / "index.json"
    index = json.loads(index_path.read_text())
    index["files"] = [f for f in index["files"] if f["dest"] != NRPE]
    index["managed"] = sorted(f["dest"] for f in index["files"])
    objects = next(f for f in index["files"] if f["dest"] == NAGIOS_OBJECTS)
    path = nagios / objects["source"]
    path.write_text(
        path.read_text() + "\ndefine host {\n    host_name localhost\n    address 127.0.0.1\n"
        "    max_check_attempts 3\n    check_period opsbundles-24x7\n"
        "    contact_groups opsbundles-operators\n    notification_period opsbundles-24x7\n}\n"
    )
    index_path.write_text(json.dumps(index))
    before = site.path("mon1", NAGIOS_OBJECTS).read_bytes()
    count = len(site.actions())
    done, counts = _play(site, ["monitoring/nagios"])
    return done, counts, before, site.actions()[count:]


def test_a_failing_check_puts_the_old_files_back_and_reloads_nothing(site, rolled_back_and_pruned):
    done, counts, before, actions = rolled_back_and_pruned
    assert counts["mon1"]["failed"] == 1, done.stdout[-3000:]
    assert "nagios4 -v /etc/nagios4/nagios.cfg failed" in done.stdout
    assert site.path("mon1", NAGIOS_OBJECTS).read_bytes() == before
    assert not [a for a in actions if a.startswith("mon1")]


def test_pruning_removes_a_dropped_file(site, rolled_back_and_pruned):
    _, counts, _, actions = rolled_back_and_pruned
    assert counts["ctl1"]["failed"] == counts["cmp1"]["failed"] == 0
    assert site.removed("ctl1", NRPE) and site.removed("cmp1", NRPE)
    assert sorted(actions) == ["cmp1 nagios-nrpe-server reload", "ctl1 nagios-nrpe-server reload"]

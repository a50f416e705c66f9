"""The whole site flow, end to end, as an operator runs it: a site repository
with opsbundles as a git submodule (a clone of this checkout) and a stack of
its own, whose pre-commit hook reviews the submodule; validate, render with
one values file (secrets from the environment), deploy with the collection
built from the submodule, twice (changed=0). Each step is timed; the times
are printed (pytest -s) and written to site-flow-times.json in the temp dir."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time

import pytest
from conftest import REAL_ROOT, git, pre_commit_hook, site_repo, subprocess_env

from .deploy_harness import Site, recap

SITE_VALUES = """\
# One file for every render of this site; secrets by reference only.
monitored_hosts:
  controller: [ctl1.example.org]
  compute: [cmp1.example.org]
api_endpoints:
  keystone: https://api.example.org:5000/v3
  nova: https://api.example.org:8774/
openstack_auth_url: https://api.example.org:5000/v3
openstack_password: {from_env: SITE_OS_PASSWORD}
rabbitmq_password: {from_env: SITE_RABBIT_PASSWORD}
mysql_password: {from_env: SITE_MYSQL_PASSWORD}
contact_email: cloud-ops@example.org
monitoring/prometheus:           # not rendered by this site: left alone
  alert_email_to: nobody@example.org
"""
SITE_STACK = """\
format_version: 1
kind: stack
name: site-monitoring
summary: This site's monitoring, nagios and icinga2 from opsbundles
license: Apache-2.0
maintainers:
- name: Site operators
version: 1.0.0
bundles:
- bundle: monitoring/nagios
  version: '>=0.1.0'
- bundle: monitoring/icinga2
  version: '>=0.1.0'
"""
SITE_CHANGELOG = """\
releases:
- version: 1.0.0
  changes:
  - description: First version.
    type: enhancement
"""
HOOK = """#!/bin/sh
set -e
{python} -m opsbundle review --no-native
{python} -m opsbundle validate --no-native --root vendor/opsbundles --path site-bundles
"""
SECRETS = {
    "SITE_OS_PASSWORD": "os-pw-from-vault",
    "SITE_RABBIT_PASSWORD": "rabbit-pw-from-vault",
    "SITE_MYSQL_PASSWORD": "mysql-pw-from-vault",
}


def _opsbundle(top, *args, **env):
    done = subprocess.run(
        [sys.executable, "-m", "opsbundle", *args],
        cwd=top,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    work = tmp_path_factory.mktemp("flow")
    times: dict[str, float] = {}

    def step(name):
        times[name] = time.monotonic()

    def done(name):
        times[name] = round(time.monotonic() - times[name], 2)

    upstream = work / "opsbundles.git"
    git(work, "clone", "-q", "--bare", str(REAL_ROOT), str(upstream))
    top = work / "site"
    step("1 site repo: init, submodule add, commit with hooks")
    site_repo(top, upstream, "Site", "site@example.org")
    (top / "site-bundles/bundles/site-monitoring").mkdir(parents=True)
    (top / "site-bundles/bundles/site-monitoring/manifest.yaml").write_text(SITE_STACK)
    (top / "site-bundles/bundles/site-monitoring/changelog.yaml").write_text(SITE_CHANGELOG)
    (top / "site.yaml").write_text(SITE_VALUES)
    (top / ".gitignore").write_text("rendered/\n")
    pre_commit_hook(top, HOOK)
    git(top, "add", "-A")
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "site: opsbundles and our monitoring stack"],
        cwd=top,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    done("1 site repo: init, submodule add, commit with hooks")
    result = {"work": work, "top": top, "times": times, "commit": commit}

    step("2 validate (real engines)")
    result["validate"] = _opsbundle(
        top,
        "validate",
        "--root",
        "vendor/opsbundles",
        "--path",
        "site-bundles",
        "bundles/site-monitoring",
        "monitoring/nagios",
        "monitoring/icinga2",
        "--require-native",
    )
    done("2 validate (real engines)")

    step("3 render with one values file")
    result["render"] = _opsbundle(
        top,
        "render",
        "bundles/site-monitoring",
        "--root",
        "vendor/opsbundles",
        "--path",
        "site-bundles",
        "--values",
        "site.yaml",
        "-o",
        "rendered/monitoring",
        **SECRETS,
    )
    done("3 render with one values file")

    site = Site(
        work / "hosts", {"mon1": [], "ctl1": []}, {"monitoring": ["mon1"], "control": ["ctl1"]}
    )
    step("4 build the collection from the submodule")
    build = subprocess.run(
        [
            "ansible-galaxy",
            "collection",
            "build",
            str(top / "vendor/opsbundles/ansible/opsbundles/deploy"),
            "--output-path",
            str(work / "dist"),
            "--force",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**subprocess_env(), "PATH": f"{sys.prefix}/bin:" + subprocess_env()["PATH"]},
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (tarball,) = (work / "dist").glob("*.tar.gz")
    install = subprocess.run(
        [
            "ansible-galaxy",
            "collection",
            "install",
            str(tarball),
            "-p",
            str(site.collections),
            "--force",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**subprocess_env(), "PATH": f"{sys.prefix}/bin:" + subprocess_env()["PATH"]},
    )
    assert install.returncode == 0, install.stdout + install.stderr
    done("4 build the collection from the submodule")
    playbook = site.playbook(
        [top / "rendered/monitoring"], {"controller": ["control"], "monitoring": ["monitoring"]}
    )
    step("5 deploy, first run")
    result["deploy1"] = site.run(playbook)
    done("5 deploy, first run")
    step("6 deploy, second run")
    result["deploy2"] = site.run(playbook)
    done("6 deploy, second run")
    result["site"] = site
    (work / "site-flow-times.json").write_text(json.dumps(times, indent=2))
    print("\nsite flow times (s):", json.dumps(times, indent=2))
    yield result
    site.zabbix.stop()


def test_commit_runs_the_hooks_and_passes(flow):
    out = flow["commit"].stdout + flow["commit"].stderr  # git gives hooks' output to stderr
    assert flow["commit"].returncode == 0, out
    assert "== vendor/opsbundles: new" in out
    log = git(flow["top"], "log", "--format=%s")
    assert log.strip() == "site: opsbundles and our monitoring stack"


def test_validate_checks_the_site_stack_with_the_real_engines(flow):
    done = flow["validate"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 bundle(s) checked, 0 with errors" in done.stdout
    assert "nagios4 checked" in done.stdout and "icinga2 checked" in done.stdout


def test_render_takes_one_values_file_and_secrets_from_the_environment(flow):
    done = flow["render"]
    assert done.returncode == 0, done.stderr
    out = flow["top"] / "rendered/monitoring"
    index = json.loads((out / "index.json").read_text())
    assert index["rendered"] == "bundles/site-monitoring"
    assert {b["ref"] for b in index["bundles"]} == {"monitoring/nagios", "monitoring/icinga2"}
    for f in index["files"]:
        text = (out / f["source"]).read_text()
        holds = [k for k, v in SECRETS.items() if v in text]
        assert bool(holds) == bool(f["secrets"]), f["dest"]
        if f["secrets"]:
            assert not stat.S_IMODE((out / f["source"]).stat().st_mode) & 0o007
    # rendered/ is ignored by the site's git: it holds secrets
    assert git(flow["top"], "status", "--porcelain", "--ignored", "rendered") == "!! rendered/\n"


def test_deploy_places_by_role_and_then_changes_nothing(flow):
    first, second, site = flow["deploy1"], flow["deploy2"], flow["site"]
    assert first.returncode == 0, first.stdout[-3000:]
    counts = recap(first.stdout)
    assert counts["mon1"]["changed"] > 0 and counts["ctl1"]["changed"] > 0
    assert site.path("mon1", "/etc/nagios4/conf.d/opsbundles-openstack.cfg").is_file()
    assert site.path("ctl1", "/etc/nagios/nrpe.d/opsbundles-openstack.cfg").is_file()
    # icinga2 daemon -C passed over Debian's /etc/icinga2 because zones.conf got the agents
    zones = site.path("mon1", "/etc/icinga2/zones.conf").read_text()
    assert 'object Zone "cmp1.example.org"' in zones and "# BEGIN opsbundles" in zones
    assert sorted(site.actions()) == [
        "ctl1 nagios-nrpe-server reload",
        "mon1 icinga2 reload",
        "mon1 nagios4 reload",
    ]
    assert second.returncode == 0
    assert {h: c["changed"] for h, c in recap(second.stdout).items()} == {"mon1": 0, "ctl1": 0}
    for secret in SECRETS.values():
        assert secret not in first.stdout + second.stdout

"""conformance/render_index.py: every shipped bundle's index holds against
the real tools, and the suite fails when an index or a command is wrong."""

from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import REAL_ROOT, make_repo
from opsbundle.checks import Context
from opsbundle.conformance import render_index


@pytest.fixture(scope="module")
def shipped():
    ctx = Context.for_repo(REAL_ROOT)
    return render_index.run(ctx, list(render_index.bundles(ctx)))


def test_every_shipped_bundle_conforms(shipped):
    failed = [f"{r.bundle} [{r.kind}] {r.case}: {r.detail}" for r in shipped if not r.ok]
    assert not failed, "\n".join(failed)


def test_the_real_tools_ran(shipped):
    """The cases that need the engines and the mount namespace are there."""
    cases = {(r.bundle, r.kind, r.case) for r in shipped}
    assert ("logging/rsyslog", "installed check", "rsyslogd -N1") in cases
    assert ("monitoring/icinga2", "installed check", "icinga2 daemon -C") in cases
    assert ("monitoring/nagios", "installed check", "nagios4 -v /etc/nagios4/nagios.cfg") in cases
    assert (
        "monitoring/nagios",
        "validate",
        "nagios-objects on /etc/nagios4/conf.d/opsbundles-openstack.cfg",
    ) in cases
    assert ("monitoring/nagios", "service unit", "nagios-nrpe-server") in cases
    kinds = {r.kind for r in shipped}
    assert kinds == {
        "index schema",
        "file facts",
        "secrets by name",
        "validate",
        "installed check",
        "service unit",
    }


def _repo_with(tmp_path, ref, edit_manifest=None, edit_commands=None):
    root = make_repo(tmp_path)
    shutil.copytree(REAL_ROOT / ref, root / ref)
    if edit_manifest:
        path = root / ref / "manifest.yaml"
        data = yaml.safe_load(path.read_text())
        edit_manifest(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    if edit_commands:
        path = root / "interfaces/render-index/v1/commands.yaml"
        data = yaml.safe_load(path.read_text())
        edit_commands(data["render_commands"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    ctx = Context.for_repo(root)
    return render_index.run(ctx, list(render_index.bundles(ctx)))


def _failed(results):
    return {(r.kind, r.case) for r in results if not r.ok}


def test_icinga2_without_its_zones_edit_fails_the_check(tmp_path):
    def drop_edits(data):
        for f in data["files"]:
            f.pop("edits", None)

    failed = _failed(_repo_with(tmp_path, "monitoring/icinga2", edit_manifest=drop_edits))
    assert ("installed check", "icinga2 daemon -C") in failed


def test_a_validate_that_accepts_anything_fails(tmp_path):
    def lenient(commands):
        commands["validate"]["promtool-rules"]["command"] = "test -f %s"

    failed = _failed(_repo_with(tmp_path, "monitoring/prometheus", edit_commands=lenient))
    assert failed == {
        ("validate", "promtool-rules refuses a broken opsbundles-openstack.rules.yml")
    }


def test_a_service_whose_debian_package_has_no_such_unit_fails(tmp_path):
    def wrong_service(data):  # a Debian package, but no service of that name
        data["files"][2]["actions"] = [{"service": "monitoring-plugins", "action": "reload"}]

    results = _repo_with(tmp_path, "monitoring/nagios", edit_manifest=wrong_service)
    units = {r.case: r.ok for r in results if r.kind == "service unit"}
    assert units == {"nagios4": True, "monitoring-plugins": False}


def test_zabbix_import_params_are_the_ones_the_zabbix_suite_proves():
    """The index tells consumers to call configuration.import with these
    params; the zabbix conformance suite imports with its RULES into a real
    Zabbix 6.0. They must be the same."""
    from opsbundle.conformance import zabbix_import
    from opsbundle.render_index import vocabulary

    api = vocabulary(Context.for_repo(REAL_ROOT).registry)["apply"]["zabbix-import"]["api"]
    assert api["method"] == "configuration.import"
    assert api["params"] == {"format": "yaml", "rules": zabbix_import.RULES}


def test_a_route_to_an_unknown_receiver_fails_amtool_on_the_edited_config(tmp_path):
    """The route is an edit of the site's alertmanager.yml: amtool judges the
    file the edit leaves (Debian's default with our routes merged in)."""
    ref = "monitoring/prometheus"
    root = make_repo(tmp_path)
    shutil.copytree(REAL_ROOT / ref, root / ref)
    route = root / ref / "files/alertmanager-route.yml.j2"
    text = route.read_text()
    assert "  - receiver: opsbundles-openstack-pager" in text
    route.write_text(
        text.replace("  - receiver: opsbundles-openstack-pager", "  - receiver: nobody")
    )
    ctx = Context.for_repo(root)
    results = render_index.run(ctx, render_index.bundles(ctx, {ref}))
    failed = _failed(results)
    assert ("installed check", "amtool-config on edited /etc/prometheus/alertmanager.yml") in failed
    detail = [r.detail for r in results if "edited /etc/prometheus/alertmanager.yml" in r.case]
    assert "nobody" in detail[0], detail

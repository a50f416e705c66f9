"""Every log-collection/v1 bundle renders from the interface's parameters alone,
for every layout: what a deployment tool relies on to swap one for another."""

import json
from pathlib import Path

import pytest
from opsbundle.render import render

REPO = Path(__file__).resolve().parents[2]
BUNDLES = ["logging/fluentd", "logging/logstash", "logging/rsyslog", "logging/splunk"]
SITE = {
    "log_services": ["nova", "keystone", "rabbitmq"],
    "aggregator_host": "logs.example.org",
    "aggregator_port": 7000,
    "tls_enabled": True,
    "tls_ca_file": "/etc/pki/site-ca.pem",
}


@pytest.mark.parametrize("bundle", BUNDLES)
@pytest.mark.parametrize("layout", ["rdo", "debian", "kolla", "tripleo"])
def test_renders_with_only_the_interface_parameters(tmp_path, bundle, layout):
    out = tmp_path / "out"
    doc = render(REPO, bundle, out, [("site", {**SITE, "log_layout": layout})])
    index = json.loads((out / "index.json").read_text())
    assert index["files"] == doc["files"] and doc["files"]
    text = "".join((out / f["source"]).read_text() for f in doc["files"])
    assert "logs.example.org" in text and "7000" in text
    assert "/etc/pki/site-ca.pem" in text
    base = {"rdo": "/var/log/", "debian": "/var/log/", "kolla": "/var/log/kolla/"}
    assert base.get(layout, "/var/log/containers/") + "nova" in text


@pytest.mark.parametrize("bundle", BUNDLES)
@pytest.mark.parametrize("layout", ["rdo", "debian", "kolla", "tripleo"])
def test_every_service_in_every_layout_is_read_once(bundle, layout):
    """With every service the bundle covers on one host (OVN beside Open
    vSwitch in Kolla, Apache in the services' folders), the tool's own config
    reader accepts the result and no file glob is read by two inputs."""
    from opsbundle import logparse
    from opsbundle.checks import Context

    ctx = Context.for_repo(REPO)
    ref = ctx.bundle(bundle)
    values = logparse.values_for(ref, [("site", {"log_layout": layout})])
    with logparse.rendered(ctx, ref, values) as out:
        inputs = logparse.parser_for(ref).read(out)
    globs = [g for item in inputs for g in item.globs]
    assert globs and len(globs) == len(set(globs)), sorted(globs)
    services = [("openvswitch", "ovs-vswitchd.log"), ("ovn", "ovn-controller.log")]
    # Kolla's own fluentd writes HAProxy's file beside the host syslog's haproxy.log
    services += [("haproxy", "haproxy_latest.log"), ("haproxy", "haproxy.log")]
    for service, name in services:
        path = logparse.host_path(ctx, ref, service, name, values)
        assert logparse.route(inputs, path, getattr(logparse.parser_for(ref), "accepts", None)) >= 0

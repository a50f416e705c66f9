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

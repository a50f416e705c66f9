"""rsyslog's imfile has no exclusion: the bundle reads a folder's oslo.log
files through globs that together match every *.log but uwsgi's and
dnsmasq's, which have inputs of their own. Each file must be read by
exactly one input (two would ship it twice), the right one."""

import fnmatch
from pathlib import Path

from opsbundle import conformance, logparse, repo
from opsbundle.checks import Context
from opsbundle.interfaces import Registry
from opsbundle.logparse import rsyslog

REPO = Path(__file__).resolve().parents[3]
NAMES = {
    # Kolla's and the packages' names, and some made to sit close to the tails
    "neutron-server.log": "oslo",
    "neutron-dhcp-agent.log": "oslo",
    "nova-api.log": "oslo",
    "keystone-wsgi-public.log": "oslo",
    "privsep-helper.log": "oslo",
    "app-wsgi.log": "oslo",
    "mywsgi.log": "oslo",
    "nova-dnsmasq-api.log": "oslo",
    # a whole name that is only a tail of "-uwsgi" or "dnsmasq" is read by
    # none (the README says so): no program writes one
    "masq.log": None,
    "wsgi.log": None,
    "dnsmasq.log": "line",
    "neutron-dnsmasq.log": "line",
    "keystone-uwsgi.log": "line",
    "placement-api-uwsgi.log": "line",
}


def test_each_log_of_a_kolla_folder_is_read_by_exactly_one_input():
    ctx = Context(REPO, Registry(REPO), {b.ref: b for b in repo.discover(REPO)})
    implementations = conformance.implementations(ctx, "log-fields/v1", None)
    bundle = next(b for b in implementations if b.ref == "logging/rsyslog")
    values = {**logparse.render_values(bundle), "log_layout": "kolla", "log_services": ["neutron"]}
    with logparse.rendered(ctx, bundle, values) as out:
        inputs = rsyslog.read(out)
    for name, kind in NAMES.items():
        path = f"/var/log/kolla/neutron/{name}"
        readers = [i for i in inputs if any(fnmatch.fnmatchcase(path, g) for g in i.globs)]
        if kind is None:
            assert readers == [], name
            continue
        assert len(readers) == 1, (name, [r.globs for r in readers])
        assert bool(readers[0].starts) == (kind == "oslo"), name

"""site/urls.py: every link is relative, from any page to any other."""

from __future__ import annotations

import posixpath

import pytest
from opsbundle.site import urls


@pytest.mark.parametrize(
    ("here", "there", "href"),
    [
        ("index.html", "logging/rsyslog.html", "logging/rsyslog.html"),
        ("logging/rsyslog.html", "index.html", "../index.html"),
        ("logging/rsyslog.html", "monitoring/nagios.html", "../monitoring/nagios.html"),
        ("interfaces/log-fields/v1.html", "site.css", "../../site.css"),
        ("checks/x.html", "vocabulary.html#role-compute", "../vocabulary.html#role-compute"),
        ("coverage.html", "coverage.html#note-2", "#note-2"),
        ("coverage.html", "coverage.html", "coverage.html"),
        ("services/nova.html", "services/nova.html#note-1", "#note-1"),
    ],
)
def test_relative(here, there, href):
    assert urls.relative(here, there) == href
    # and the href really lands on `there` when followed from `here`
    path = href.partition("#")[0]
    if path:
        landed = posixpath.normpath(posixpath.join(posixpath.dirname(here), path))
        assert landed == there.partition("#")[0]


def test_pages_mirror_the_repository():
    assert urls.bundle("logging/rsyslog") == "logging/rsyslog.html"
    assert urls.bundle("bundles/openstack-logging") == "bundles/openstack-logging.html"
    assert urls.interface("manifest/v1") == "interfaces/manifest/v1.html"


def test_anchor_is_a_valid_id():
    assert urls.anchor("kind", "oslo-context-8") == "kind-oslo-context-8"
    assert urls.anchor("role", "a b/<c>") == "role-a-b--c-"

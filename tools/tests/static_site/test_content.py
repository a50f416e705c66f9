"""site/content.py: the cross references the pages are built from."""

from __future__ import annotations

import pytest
from conftest import REAL_ROOT, build_repo
from opsbundle import repo
from opsbundle.site import content


@pytest.fixture(scope="module")
def cat():
    return content.gather(REAL_ROOT)


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("README.md", "index.html"),
        ("logging/rsyslog", "logging/rsyslog.html"),
        ("logging/rsyslog/README.md", "logging/rsyslog.html"),
        ("logging/rsyslog/changelog.yaml", "logging/rsyslog.html"),
        ("logging/rsyslog/files/rsyslog.conf.j2", None),
        ("logging", "logging.html"),
        ("monitoring/README.md", "monitoring.html"),
        ("interfaces", "interfaces.html"),
        ("interfaces/README.md", "interfaces.html"),
        ("interfaces/log-fields/v1", "interfaces/log-fields/v1.html"),
        ("interfaces/log-fields/v1/README.md", "interfaces/log-fields/v1.html"),
        ("interfaces/log-fields/v1/fields.yaml", "log-fields.html"),
        ("interfaces/service-checks/v1/catalog.yaml", "coverage.html"),
        ("interfaces/log-fields/v1/conformance/samples", None),
        ("interfaces/vocabulary.yaml", "vocabulary.html"),
        ("interfaces/no-such/v1", None),
        ("tools/opsbundle/cli.py", None),
    ],
)
def test_readme_links_map_to_pages(cat, path, page):
    assert cat.page_for(path) == page


def test_every_bundle_and_its_services(cat):
    assert [b.ref for b in cat.bundles] == [b.ref for b in repo.discover(REAL_ROOT)]
    stack = cat.by_ref["bundles/openstack-monitoring"]
    members = [cat.by_ref[m.ref] for m in stack.members]
    assert set(cat.services_of(stack)) == {s for m in members for s in m.services}


def test_secret_parameters_carry_no_value(tmp_path):
    root = build_repo(tmp_path, "bad_secret_default", "good_templated")
    cat = content.gather(root)
    for b in cat.bundles:
        for p in b.parameters:
            if p.secret:
                assert (p.default, p.example) == (None, None)
                assert set(p.constraints) <= {
                    "choices",
                    "pattern",
                    "schemes",
                    "vocabulary",
                    "min",
                    "max",
                }
    assert [p.name for p in cat.by_ref["logging/secret-default"].parameters if p.secret] == [
        "api_token"
    ]

from servicechecks_repo import copy_repo, edit, native_findings

BUNDLE = "monitoring/prometheus"


def _native(root):
    return native_findings(root, BUNDLE)


def test_rendered_rules_and_route_pass(tmp_path):
    assert _native(copy_repo(tmp_path, BUNDLE)) == []


def test_bad_expression_is_reported_with_its_rendered_line(tmp_path):
    root = copy_repo(tmp_path, BUNDLE)
    edit(
        root / BUNDLE / "files/openstack.rules.yml.j2",
        "'probe_success{job=\"' ~ j.memcached ~ '\"} == 0 or",
        "'probe_success{job=\"' ~ j.memcached ~ '\"} == == 0 or",
    )
    found = _native(root)
    assert len(found) == 1
    assert found[0].path == f"{BUNDLE}/files/openstack.rules.yml.j2"
    assert "promtool check rules: rendered /etc/prometheus/rules/" in found[0].message
    assert "MemcachedUp" in found[0].message and ", line " in found[0].message

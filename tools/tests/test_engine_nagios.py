from servicechecks_repo import copy_repo, edit, native_findings

BUNDLE = "monitoring/nagios"
TEMPLATE = "files/opsbundles-openstack.cfg.j2"


def _native(root):
    return native_findings(root, BUNDLE)


def test_rendered_objects_pass(tmp_path):
    assert _native(copy_repo(tmp_path, BUNDLE)) == []


def test_parse_error_names_the_rendered_line(tmp_path):
    root = copy_repo(tmp_path, BUNDLE)
    edit(root / BUNDLE / TEMPLATE, "define hostgroup {", "define hostgrup {")
    (found,) = _native(root)
    assert "Invalid object definition type 'hostgrup'" in found.message
    assert "/etc/nagios4/conf.d/opsbundles-openstack.cfg, line " in found.message


def test_missing_reference_is_caught(tmp_path):
    root = copy_repo(tmp_path, BUNDLE)
    edit(
        root / BUNDLE / TEMPLATE,
        "contact_groups          opsbundles-operators",
        "contact_groups          opsbundles-nobody",
    )
    found = _native(root)
    assert found and all(f.code == "NAT001" for f in found)
    assert any("opsbundles-nobody" in f.message for f in found)

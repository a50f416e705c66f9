import pytest
from servicechecks_repo import copy_repo, edit, native_findings

BUNDLE = "monitoring/icinga2"
TEMPLATE = "files/opsbundles-openstack.conf.j2"


def _native(root):
    return native_findings(root, BUNDLE)


def test_rendered_objects_pass(tmp_path):
    assert _native(copy_repo(tmp_path, BUNDLE)) == []


def test_unknown_attribute_is_reported_once_with_its_line(tmp_path):
    root = copy_repo(tmp_path, BUNDLE)
    edit(
        root / BUNDLE / TEMPLATE,
        "  max_check_attempts = 3\n  check_interval = {{",
        "  max_check_attemps = 3\n  check_interval = {{",
    )
    (found,) = _native(root)
    assert "Attribute 'max_check_attemps' does not exist" in found.message
    assert "rendered /etc/icinga2/conf.d/opsbundles-openstack.conf, line " in found.message


def test_unknown_check_command_is_caught(tmp_path):
    root = copy_repo(tmp_path, BUNDLE)
    edit(
        root / BUNDLE / TEMPLATE,
        "('opsbundles-tcp', {'os_port'",
        "('opsbundles-tpc', {'os_port'",
    )
    found = _native(root)
    assert found and any("opsbundles-tpc" in f.message for f in found)


def test_macros_resolve_like_icinga2():
    from opsbundle.conformance.icinga2_commands import resolve

    scopes = [{"os_port": 5672, "flag": True}, {"os_port": 1}]
    assert resolve("-p $os_port$ $address$ $$1 $flag$", scopes) == "-p 5672 127.0.0.1 $1 true"
    with pytest.raises(KeyError):
        resolve("$nope$", scopes)

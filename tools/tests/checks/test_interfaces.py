"""checks/interfaces.py and interfaces.py: referenced interfaces exist, are
alive, and are met; the registry reports broken contracts as findings."""

from __future__ import annotations

import pytest
from conftest import (
    REAL_ROOT,
    bad_cases,
    build_repo,
    check_bad_fixture,
    make_repo,
    of_bundle,
    validate,
)
from opsbundle.interfaces import REF, Registry


@pytest.mark.parametrize("fixture", bad_cases("IFC"))
def test_bad_interfaces_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def test_unknown_major_version_names_the_known_ones(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_unknown_interface")
    assert f.message == "unknown interface 'log-collection/v2'"
    assert f.hint == "known versions: log-collection/v1"


def test_deprecated_interface_is_a_warning_naming_its_successor(tmp_path):
    root = build_repo(tmp_path, "bad_deprecated_interface")
    report = validate(root)
    (f,) = of_bundle(report, "logging/deprecated-interface")
    assert f.severity == "warning"
    assert f.message == "interface 'old-logs/v1' is deprecated"
    assert f.hint == "move to log-collection/v1"
    assert not report.failed()


def test_removed_interface_hint_names_its_replacement(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_removed_interface")
    assert f.severity == "error"
    assert f.message == "interface 'gone-logs/v1' was removed"
    assert "log-collection/v1" in f.hint


def test_bad_reference_hint(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_interface_ref")
    assert f.message == "'log-collection' is not an interface reference"
    assert f.hint == "write it as name/v1"


def test_missing_parameter_names_it(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_missing_iface_param")
    assert f.message == "log-collection/v1 requires parameter 'aggregator_host' (str), not declared"
    assert f.hint == "declare parameters.aggregator_host with type str"


def test_type_difference_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_iface_param_type")
    assert f.message == "parameter 'aggregator_port' is str, log-collection/v1 says int"


@pytest.mark.parametrize(
    ("ref", "code"),
    [("log-collection/v1", None), ("log-collection/v9", "IFC001"), ("LogCollection", "IFC004")],
)
def test_requires_references_are_checked(tmp_path, ref, code):
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_text(manifest.read_text() + f"requires:\n- {ref}\n")
    found = of_bundle(validate(root), "logging/minimal")
    assert [(f.code, f.line, f.col) for f in found] == ([(code, 23, 3)] if code else [])


def test_stack_provides_references_are_checked(tmp_path):
    root = build_repo(tmp_path, "good_stack_demo")
    manifest = root / "bundles/stack-demo/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("- log-collection/v1", "- log-collection"))
    found = of_bundle(validate(root), "bundles/stack-demo")
    assert ("IFC004", 11) in [(f.code, f.line) for f in found]


def test_unreadable_interface_definition_is_yml012(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    (root / "interfaces" / "broken" / "v1").mkdir(parents=True)
    report = validate(root)
    (f,) = report.findings
    assert (f.code, f.path, f.bundle) == (
        "YML012",
        "interfaces/broken/v1/interface.yaml",
        "interfaces",
    )
    assert report.failed()


# --------------------------------------------------------------------------- the registry


def test_registry_reads_the_real_interfaces(tmp_path):
    reg = Registry(make_repo(tmp_path))
    assert reg.problems == []
    shipped = {
        f"{d.parent.name}/{d.name}"
        for d in (REAL_ROOT / "interfaces").glob("*/v*")
        if d.parent.name != "manifest"
    }
    assert "log-collection/v1" in shipped
    assert set(reg.interfaces) == shipped
    iface = reg.interfaces["log-collection/v1"]
    assert iface.status == "stable"
    assert iface.schema is not None
    assert set(iface.parameters) == {
        "log_layout",
        "log_services",
        "aggregator_host",
        "aggregator_port",
        "tls_enabled",
        "tls_ca_file",
    }
    assert set(iface.data["layouts"]) == {"rdo", "debian", "kolla", "tripleo"}
    assert list(reg.formats) == [1]
    assert "nova" in reg.services and "controller" in reg.roles
    assert reg.majors("log-collection") == ["log-collection/v1"]
    assert reg.majors("nothing") == []


def test_registry_reads_lifecycle_fields(tmp_path):
    root = build_repo(tmp_path, "bad_removed_interface", "bad_deprecated_interface")
    reg = Registry(root)
    assert reg.problems == []
    assert reg.interfaces["gone-logs/v1"].status == "removed"
    assert reg.interfaces["gone-logs/v1"].replaced_by == "log-collection/v1"
    assert reg.interfaces["old-logs/v1"].status == "deprecated"
    assert reg.interfaces["old-logs/v1"].schema is None


def test_registry_reports_a_broken_schema(tmp_path):
    root = make_repo(tmp_path)
    (root / "interfaces/log-collection/v1/schema.yaml").write_text("transport: nosuchvalidator(\n")
    reg = Registry(root)
    assert [(f.code, f.path) for f in reg.problems] == [
        ("SCH001", "interfaces/log-collection/v1/schema.yaml")
    ]
    assert reg.interfaces["log-collection/v1"].schema is None


def test_registry_reports_a_bad_data_file(tmp_path):
    root = make_repo(tmp_path)
    (root / "interfaces/log-collection/v1/extra.yaml").write_text("a: [1\n")
    reg = Registry(root)
    assert [(f.code, f.path) for f in reg.problems] == [
        ("YML001", "interfaces/log-collection/v1/extra.yaml")
    ]


def test_registry_ignores_non_version_folders(tmp_path):
    root = make_repo(tmp_path)
    (root / "interfaces/log-collection/vnext").mkdir()
    (root / "interfaces/log-collection/v1-draft").mkdir()
    reg = Registry(root)
    assert reg.problems == []
    assert "log-collection/v1" in reg.interfaces
    assert not [
        r for r in reg.interfaces if r.startswith("log-collection/") and r != "log-collection/v1"
    ]


@pytest.mark.parametrize(
    ("ref", "ok"),
    [
        ("log-collection/v1", True),
        ("a/v10", True),
        ("log-collection", False),
        ("Log/v1", False),
        ("log/1", False),
        ("log/v1/x", False),
        ("-log/v1", False),
    ],
)
def test_ref_pattern(ref, ok):
    assert bool(REF.match(ref)) is ok


def test_fixture_interfaces_do_not_touch_the_real_ones():
    assert not (REAL_ROOT / "interfaces" / "old-logs").exists()
    assert not (REAL_ROOT / "interfaces" / "gone-logs").exists()

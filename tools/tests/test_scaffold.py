"""scaffold.py: `opsbundle new` makes a bundle that validates as it stands."""

from __future__ import annotations

import pytest
import yaml
from conftest import build_repo, make_repo, snapshot, validate
from opsbundle.cli import main
from opsbundle.render import render
from opsbundle.scaffold import ScaffoldError, create
from opsbundle.values import read_values_file


def test_scaffold_implementing_an_interface_validates_clean(tmp_path):
    root = make_repo(tmp_path)
    path = create(root, "logging/fluentbit", "fluent-bit", ["log-collection/v1"], ["nova"], "Ops")
    assert path == root / "logging" / "fluentbit"
    assert sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()) == [
        "README.md",
        "changelog.yaml",
        "files/fluentbit.conf.j2",
        "manifest.yaml",
        "tests/values.yaml",
    ]
    report = validate(root)
    assert report.checked == ["logging/fluentbit"]
    assert [f.as_text() for f in report.findings] == []


def test_scaffold_declares_every_interface_parameter(tmp_path):
    root = make_repo(tmp_path)
    path = create(root, "logging/vector", "vector", ["log-collection/v1"], ["nova"], "Ops")
    manifest = yaml.safe_load((path / "manifest.yaml").read_text())
    iface = yaml.safe_load((root / "interfaces/log-collection/v1/interface.yaml").read_text())
    assert manifest["parameters"].keys() == iface["parameters"].keys()
    for name, spec in iface["parameters"].items():
        assert manifest["parameters"][name]["type"] == spec["type"]
    assert manifest["implements"] == {"log-collection/v1": iface["scaffold"]}
    assert manifest["name"] == "vector" and manifest["domain"] == "logging"
    assert manifest["maintainers"] == [{"name": "Ops"}]


def test_scaffold_tests_values_render(tmp_path):
    root = make_repo(tmp_path)
    path = create(root, "logging/vector", "vector", ["log-collection/v1"], ["nova"], "Ops")
    values = read_values_file(path / "tests" / "values.yaml")
    doc = render(root, "logging/vector", tmp_path / "out", [("values", values)])
    assert [f["dest"] for f in doc["files"]] == ["/etc/vector/conf.d/opsbundles-vector.conf"]


def test_scaffold_with_a_service_and_no_interface_validates_clean(tmp_path):
    root = make_repo(tmp_path)
    create(root, "monitoring/probe", "probe", [], ["keystone"], "Ops")
    report = validate(root)
    assert [f.as_text() for f in report.findings] == []


def test_scaffold_without_services_is_refused(tmp_path):
    """A bundle covers at least one service (the schema says so), so the
    scaffold refuses to start without one rather than write a red bundle."""
    root = make_repo(tmp_path)
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match="at least one --service"):
        create(root, "logging/plain", "plain", [], [], "Ops")
    assert snapshot(root) == before


def test_cli_new_requires_a_service(tmp_path, capsys):
    root = make_repo(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["new", "logging/plain", "--tool", "plain", "--root", str(root)])
    assert exc.value.code == 2
    assert "--service" in capsys.readouterr().err


def test_refuses_an_existing_directory(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match="logging/minimal already exists"):
        create(root, "logging/minimal", "x", [], ["nova"], "Ops")
    assert snapshot(root) == before


@pytest.mark.parametrize(
    "ref",
    [
        "logging/Upper",
        "logging/under_score",
        "logging/-dash",
        "logging/",
        "weather/thing",
        "bundles/stack",
        "logging/a/b",
        "rsyslog",
        "logging/" + "a" * 64,
    ],
)
def test_refuses_a_bad_name(tmp_path, ref):
    root = make_repo(tmp_path)
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match="is not <domain>/<name>"):
        create(root, ref, "x", [], ["nova"], "Ops")
    assert snapshot(root) == before


def test_accepts_the_longest_name(tmp_path):
    root = make_repo(tmp_path)
    create(root, "logging/" + "a" * 63, "x", [], ["nova"], "Ops")
    assert (root / "logging" / ("a" * 63) / "manifest.yaml").is_file()


def test_refuses_an_unknown_interface(tmp_path):
    root = make_repo(tmp_path)
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match=r"unknown interface 'log-shipping/v1' \(known: "):
        create(root, "logging/x", "x", ["log-shipping/v1"], ["nova"], "Ops")
    assert snapshot(root) == before


def test_refuses_a_deprecated_interface_and_names_its_successor(tmp_path):
    root = build_repo(tmp_path, "bad_deprecated_interface")
    with pytest.raises(ScaffoldError, match="'old-logs/v1' is deprecated; use log-collection/v1"):
        create(root, "logging/x", "x", ["old-logs/v1"], ["nova"], "Ops")
    assert not (root / "logging" / "x").exists()


def test_refuses_an_unknown_service(tmp_path):
    root = make_repo(tmp_path)
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match="unknown service"):
        create(root, "logging/x", "x", [], ["nvoa"], "Ops")
    assert snapshot(root) == before


def test_creates_a_missing_domain_folder_and_leaves_no_staging(tmp_path):
    root = make_repo(tmp_path)
    (root / "packaging").rmdir()
    create(root, "packaging/debs", "debs", [], ["nova"], "Ops")
    assert [p.name for p in (root / "packaging").iterdir()] == ["debs"]
    assert not [p for p in root.rglob(".*") if p.is_dir()]


@pytest.mark.parametrize("tool", ["../../etc", "a b", "Fluent", "x;id", "", "-rf", "t" * 70])
def test_the_tool_name_is_validated(tmp_path, tool):
    """It lands in paths (/etc/<tool>/...) and in the manifest: a package name."""
    from opsbundle.scaffold import ScaffoldError, create

    root = make_repo(tmp_path)
    with pytest.raises(ScaffoldError, match="is not a tool name"):
        create(root, "logging/x", tool, [], ["nova"], "Ops")
    assert not (root / "logging/x").exists()

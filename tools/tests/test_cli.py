"""cli.py: arguments in, report out, and the exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import (
    BAD_FIXTURES,
    build_repo,
    git,
    git_init,
    make_repo,
    run_module,
    snapshot,
)
from opsbundle import __version__
from opsbundle.cli import main
from opsbundle.findings import CODES

FINDING_LINE = re.compile(r"^[^:]+:\d+:\d+: [A-Z]{3}\d{3} ")
SUMMARY_LINE = re.compile(
    r"^(ok|FAIL): \d+ bundle\(s\) checked, \d+ with errors; \d+ error\(s\), \d+ warning\(s\)$"
)


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def validate_cli(capsys, root, *argv):
    return run(capsys, "validate", "--root", str(root), "--no-native", "--no-cache", *argv)


@pytest.fixture
def mixed(tmp_path):
    return build_repo(
        tmp_path,
        "good_minimal",
        "bad_relative_dest",
        "bad_unknown_service",
        "bad_secret_default",
        "bad_unused_param",
        "bad_template_undeclared",
    )


# --------------------------------------------------------------------------- validate


def test_validate_clean_exits_0(tmp_path, capsys):
    root = build_repo(tmp_path, "good_minimal", "good_templated")
    rc, out, _ = validate_cli(capsys, root)
    assert rc == 0
    assert out.strip().splitlines() == [
        "ok: 2 bundle(s) checked, 0 with errors; 0 error(s), 0 warning(s)"
    ]


def test_validate_findings_exit_1(mixed, capsys):
    rc, out, _ = validate_cli(capsys, mixed)
    assert rc == 1
    assert "FIL004" in out and "VOC001" in out


def test_warnings_alone_exit_0_unless_warnings_are_errors(tmp_path, capsys):
    root = build_repo(tmp_path, "bad_unused_param")
    assert validate_cli(capsys, root)[0] == 0
    assert validate_cli(capsys, root, "--warnings-as-errors")[0] == 1


def test_no_repository_exits_2(tmp_path, capsys, monkeypatch):
    rc, _, err = validate_cli(capsys, tmp_path)
    assert rc == 2
    assert "is not an opsbundles repository" in err
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    rc, _, err = run(capsys, "validate", "--no-native")
    assert rc == 2
    assert "no opsbundles repository" in err


def test_repository_found_from_the_current_folder(tmp_path, capsys, monkeypatch):
    root = build_repo(tmp_path, "good_minimal")
    monkeypatch.chdir(root / "logging" / "minimal" / "files")
    rc, out, _ = run(capsys, "validate", "--no-native", "--no-cache")
    assert rc == 0
    assert out.startswith("ok: 1 bundle(s) checked")


def test_unknown_bundle_name_exits_2(tmp_path, capsys):
    root = build_repo(tmp_path, "good_minimal")
    rc, _, err = validate_cli(capsys, root, "nothing-here")
    assert rc == 2
    assert "no bundle 'nothing-here'" in err


def test_text_output_format(mixed, capsys):
    rc, out, _ = validate_cli(capsys, mixed)
    lines = out.rstrip("\n").splitlines()
    assert rc == 1
    assert len(lines) >= 6
    for line in lines[:-1]:
        assert FINDING_LINE.match(line), line
    assert SUMMARY_LINE.match(lines[-1]), lines[-1]
    assert lines[-1].startswith("FAIL: 6 bundle(s) checked, 4 with errors;")


def test_json_output(mixed, capsys):
    rc, out, _ = validate_cli(capsys, mixed, "--format", "json")
    assert rc == 1
    doc = json.loads(out)
    assert len(doc["checked"]) == 6
    assert doc["findings"]
    for f in doc["findings"]:
        assert isinstance(f["code"], str) and f["code"] in CODES
        assert isinstance(f["path"], str) and f["path"]
        assert isinstance(f["line"], int) and f["line"] >= 1
        assert isinstance(f["col"], int) and f["col"] >= 1
    codes = {(f["code"], f["path"], f["line"]) for f in doc["findings"]}
    exp = BAD_FIXTURES["bad_relative_dest"]
    assert (exp.code, "logging/relative-dest/manifest.yaml", exp.line) in codes
    assert doc["errors"] == sum(1 for f in doc["findings"] if f["severity"] == "error")


def test_junit_output(mixed, capsys):
    rc, out, _ = validate_cli(capsys, mixed, "--format", "junit")
    rc_json, out_json, _ = validate_cli(capsys, mixed, "--format", "json")
    assert rc == rc_json == 1
    suite = ET.fromstring(out)
    errors = [f for f in json.loads(out_json)["findings"] if f["severity"] == "error"]
    failures = list(suite.iter("failure"))
    assert len(failures) == len(errors)
    assert sorted(f.get("type") for f in failures) == sorted(f["code"] for f in errors)
    assert int(suite.get("tests")) == 6
    names = {c.get("name") for c in suite.iter("testcase")}
    assert "logging/minimal" in names


def test_codes_lists_every_code(capsys):
    rc, out, _ = run(capsys, "codes")
    assert rc == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == list(CODES)


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"opsbundle {__version__}"


def test_unknown_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--format", "yaml"])
    assert exc.value.code == 2


# --------------------------------------------------------------------------- list


@pytest.fixture
def catalogue(tmp_path):
    return build_repo(tmp_path, "good_stack_demo", "good_templated", "bad_deprecated")


def _list(capsys, root, *argv):
    rc, out, err = run(capsys, "list", "--root", str(root), "--format", "json", *argv)
    assert rc == 0, err
    return [r["ref"] for r in json.loads(out)]


def test_list_json(catalogue, capsys):
    rc, out, _ = run(capsys, "list", "--root", str(catalogue), "--format", "json")
    rows = {r["ref"]: r for r in json.loads(out)}
    assert list(rows) == [
        "bundles/stack-demo",
        "logging/collector",
        "logging/deprecated",
        "logging/minimal",
        "logging/templated",
    ]
    assert rows["bundles/stack-demo"]["kind"] == "stack"
    assert rows["bundles/stack-demo"]["members"] == ["logging/minimal", "logging/collector"]
    assert rows["logging/collector"]["implements"] == ["log-collection/v1"]
    assert rows["logging/templated"]["version"] == "1.2.0"
    assert rows["logging/templated"]["tool"] == "demo-tool"
    assert rows["logging/deprecated"]["deprecated"] is True


def test_list_filters(catalogue, capsys):
    assert _list(capsys, catalogue, "--domain", "stack") == ["bundles/stack-demo"]
    assert _list(capsys, catalogue, "--domain", "monitoring") == []
    assert _list(capsys, catalogue, "--implements", "log-collection") == ["logging/collector"]
    assert _list(capsys, catalogue, "--implements", "log-collection/v1") == ["logging/collector"]
    assert _list(capsys, catalogue, "--implements", "log-collection/v2") == []
    assert _list(capsys, catalogue, "--service", "keystone") == ["logging/templated"]
    assert _list(capsys, catalogue, "--domain", "logging", "--service", "nova") == [
        "logging/collector",
        "logging/deprecated",
        "logging/minimal",
        "logging/templated",
    ]


def test_list_text(catalogue, capsys):
    rc, out, _ = run(capsys, "list", "--root", str(catalogue))
    assert rc == 0
    lines = out.splitlines()
    assert len(lines) == 5
    (dep,) = [line for line in lines if line.startswith("logging/deprecated")]
    assert dep.endswith("[deprecated]")
    (col,) = [line for line in lines if line.startswith("logging/collector")]
    assert "log-collection/v1" in col and "1.0.0" in col


def test_list_nothing_matches(catalogue, capsys):
    rc, out, err = run(capsys, "list", "--root", str(catalogue), "--service", "swift")
    assert rc == 0 and out == ""
    assert "no bundles match" in err


def test_list_survives_an_unreadable_manifest(tmp_path, capsys):
    root = build_repo(tmp_path, "bad_yaml_tab", "good_minimal")
    assert _list(capsys, root) == ["logging/minimal", "logging/yaml-tab"]
    rc, out, _ = run(capsys, "list", "--root", str(root))
    assert rc == 0
    assert "(manifest unreadable)" in out


# --------------------------------------------------------------------------- show


def test_show_never_prints_a_secret_default(tmp_path, capsys):
    root = build_repo(tmp_path, "bad_secret_default")
    rc, out, _ = run(capsys, "show", "--root", str(root), "secret-default")
    assert rc == 0
    assert "api_token (str, format text, required, secret)" in out
    assert "hunter2" not in out
    rc, out, _ = run(capsys, "show", "--root", str(root), "secret-default", "--format", "json")
    assert rc == 0
    assert "hunter2" not in out
    spec = json.loads(out)["parameters"]["api_token"]
    assert "default" not in spec and spec["secret"] is True


def test_show_never_prints_a_secret_example(tmp_path, capsys):
    root = build_repo(tmp_path, "good_templated")
    manifest = root / "logging/templated/manifest.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "    secret: true\n", "    secret: true\n    example: tok-EXAMPLE-9\n"
        )
    )
    for fmt in ("text", "json"):
        rc, out, _ = run(capsys, "show", "--root", str(root), "templated", "--format", fmt)
        assert rc == 0
        assert "tok-EXAMPLE-9" not in out


def test_show_text_and_json(tmp_path, capsys):
    root = build_repo(tmp_path, "good_templated")
    rc, out, _ = run(capsys, "show", "--root", str(root), "logging/templated")
    assert rc == 0
    assert out.splitlines()[0] == (
        "logging/templated 1.2.0 - Fixture bundle with templates and a parameter in a destination"
    )
    assert "  after changes: reload demo-tool" in out
    assert "    listen_port (int, default 8080)" in out
    assert "    /etc/demo-tool/conf.d/static.conf  <- files/static.conf  [all]" in out
    rc, out, _ = run(capsys, "show", "--root", str(root), "templated", "--format", "json")
    doc = json.loads(out)
    assert doc["ref"] == "logging/templated"
    assert doc["parameters"]["listen_port"]["default"] == 8080
    assert doc["services"] == ["nova", "keystone"]


def test_show_stack(tmp_path, capsys):
    root = build_repo(tmp_path, "good_stack_demo")
    rc, out, _ = run(capsys, "show", "--root", str(root), "stack-demo")
    assert rc == 0
    assert "    logging/minimal >=1.0.0, <2.0.0" in out
    assert "    logging/collector" in out


def test_show_deprecated(tmp_path, capsys):
    root = build_repo(tmp_path, "bad_deprecated")
    rc, out, _ = run(capsys, "show", "--root", str(root), "deprecated")
    assert rc == 0
    assert "  DEPRECATED since 1.0.0: Superseded by the minimal fixture." in out


def test_show_unreadable_manifest_exits_1(tmp_path, capsys):
    root = build_repo(tmp_path, "bad_yaml_tab")
    rc, out, err = run(capsys, "show", "--root", str(root), "yaml-tab")
    assert rc == 1
    assert "YML003" in err


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("services:\n", "deprecated: yes\nservices:\n"),
        ("tool:\n  name: demo-tool\n  versions:\n  - '>=1.0'\n", "tool: demo-tool\n"),
    ],
    ids=["deprecated-not-a-mapping", "tool-not-a-mapping"],
)
def test_show_survives_a_malformed_manifest(tmp_path, capsys, old, new):
    """BUG: `opsbundle show` dies with an AttributeError traceback on a manifest
    that parses but has a wrongly-typed section (validate reports SCH001 for
    both): cli.cmd_show calls .get() on `deprecated` (`dep.get('since')`) and
    on `tool` (`tool.get('name')`) without checking they are mappings.
    Expected: show prints what it can (or reports the problem) and exits 0/1,
    no traceback."""
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))
    rc, out, err = run(capsys, "show", "--root", str(root), "minimal")
    assert rc in (0, 1)
    assert "logging/minimal" in out + err


# --------------------------------------------------------------------------- render (CLI surface)


def test_render_reports_where_it_wrote(tmp_path, capsys):
    root = build_repo(tmp_path, "good_minimal")
    out_dir = tmp_path / "out"
    rc, out, _ = run(capsys, "render", "--root", str(root), "minimal", "-o", str(out_dir))
    assert rc == 0
    assert out.strip() == f"rendered logging/minimal 1.0.0: 1 file(s) in {out_dir}"
    assert (out_dir / "logging/minimal/etc/demo-tool/minimal.conf").is_file()


def test_render_bad_values_file_exits_1(tmp_path, capsys):
    root = build_repo(tmp_path, "good_minimal")
    bad = tmp_path / "values.yaml"
    bad.write_text("- not a mapping\n")
    rc, _, err = run(
        capsys,
        "render",
        "--root",
        str(root),
        "minimal",
        "-o",
        str(tmp_path / "o"),
        "--values",
        str(bad),
    )
    assert rc == 1
    assert "YML010" in err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- new


def test_new_then_validate_is_clean(tmp_path, capsys):
    root = make_repo(tmp_path)
    rc, out, err = run(
        capsys,
        "new",
        "--root",
        str(root),
        "logging/vector",
        "--tool",
        "vector",
        "--implements",
        "log-collection/v1",
        "--service",
        "nova",
        "--service",
        "glance",
    )
    assert rc == 0, err
    assert out.splitlines()[0].startswith("created logging/vector")
    rc, out, _ = validate_cli(capsys, root)
    assert rc == 0
    assert out.strip() == "ok: 1 bundle(s) checked, 0 with errors; 0 error(s), 0 warning(s)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["logging/minimal", "--tool", "x", "--service", "nova"], "already exists"),
        (
            ["logging/x", "--tool", "x", "--service", "nova", "--implements", "log-shipping/v1"],
            "unknown interface",
        ),
        (
            ["logging/x", "--tool", "x", "--service", "nova", "--implements", "log-collection/v2"],
            "unknown interface",
        ),
        (["logging/Bad_Name", "--tool", "x", "--service", "nova"], "is not <domain>/<name>"),
        (["cooking/x", "--tool", "x", "--service", "nova"], "is not <domain>/<name>"),
        (["logging/x", "--tool", "x", "--service", "nvoa"], "unknown service"),
    ],
)
def test_new_refusals_exit_1_and_write_nothing(tmp_path, capsys, argv, message):
    root = build_repo(tmp_path, "good_minimal")
    before = snapshot(root)
    rc, _, err = run(capsys, "new", "--root", str(root), *argv)
    assert rc == 1
    assert message in err
    assert snapshot(root) == before


# --------------------------------------------------------------------------- --changed-since


@pytest.fixture
def history(tmp_path):
    root = build_repo(tmp_path, "good_minimal", "good_templated", "good_stack_demo")
    git_init(root)
    return root


def _bump_minimal(root, new="1.0.1"):
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("version: 1.0.0\n", f"version: {new}\n"))
    changelog = root / "logging/minimal/changelog.yaml"
    changelog.write_text(
        changelog.read_text().replace(
            "releases:\n",
            f"releases:\n- version: {new}\n  changes:\n  - description: Tweak.\n    type: bugfix\n",
        )
    )


def test_changed_since_checks_only_the_changed_bundle(history, capsys):
    (history / "logging/minimal/files/minimal.conf").write_text("changed\n")
    _bump_minimal(history)
    rc, out, _ = validate_cli(capsys, history, "--changed-since", "HEAD", "--format", "json")
    doc = json.loads(out)
    assert rc == 0
    assert doc["checked"] == ["logging/minimal"]
    assert doc["notes"][0].startswith("1 bundle(s) changed since HEAD")


def test_changed_since_interface_change_checks_everything(history, capsys):
    schema = history / "interfaces/log-collection/v1/schema.yaml"
    schema.write_text(schema.read_text().replace("'syslog', ", ""))
    rc, out, _ = validate_cli(capsys, history, "--changed-since", "HEAD", "--format", "json")
    doc = json.loads(out)
    assert doc["checked"] == [
        "bundles/stack-demo",
        "logging/collector",
        "logging/minimal",
        "logging/templated",
    ]
    assert any("checking all" in n for n in doc["notes"])
    # the interface change broke the collector: found although its files did not change
    assert any(
        f["code"] == "SCH002" and f["bundle"] == "logging/collector" for f in doc["findings"]
    )
    assert rc == 1


def test_changed_since_unchanged_version_is_ver001(history, capsys):
    (history / "logging/minimal/files/minimal.conf").write_text("changed\n")
    git(history, "commit", "-qam", "change without bump")
    rc, out, _ = validate_cli(capsys, history, "--changed-since", "HEAD~1")
    assert rc == 1
    assert "logging/minimal/manifest.yaml:9:10: VER001 " in out


def test_changed_since_bumped_version_passes(history, capsys):
    git(history, "checkout", "-q", "-b", "feature")
    (history / "logging/minimal/files/minimal.conf").write_text("changed\n")
    _bump_minimal(history)
    git(history, "commit", "-qam", "minimal 1.0.1")
    rc, out, _ = validate_cli(capsys, history, "--changed-since", "main")
    assert rc == 0, out
    assert "ok: 1 bundle(s) checked" in out


def test_changed_since_unknown_ref_exits_2(history, capsys):
    rc, _, err = validate_cli(capsys, history, "--changed-since", "origin/nope")
    assert rc == 2
    assert "unknown git ref 'origin/nope'" in err


def test_changed_since_outside_git_exits_2(tmp_path, capsys):
    root = build_repo(tmp_path, "good_minimal")
    rc, _, err = validate_cli(capsys, root, "--changed-since", "HEAD")
    assert rc == 2
    assert err.startswith("opsbundle: ")


def test_changed_since_in_a_shallow_clone_exits_2(history, tmp_path, capsys):
    git(history, "checkout", "-q", "-b", "feature")
    (history / "logging/minimal/files/minimal.conf").write_text("feature\n")
    _bump_minimal(history)
    git(history, "commit", "-qam", "feature work")
    git(history, "checkout", "-q", "main")
    (history / "logging/templated/files/static.conf").write_text("main moved on\n")
    git(history, "commit", "-qam", "main work")
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        "--branch",
        "feature",
        f"file://{history}",
        str(clone),
    )
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    rc, _, err = validate_cli(capsys, clone, "--changed-since", "origin/main")
    assert rc == 2
    assert "shallow" in err
    rc, _, err = validate_cli(capsys, clone, "--changed-since", "HEAD~1")
    assert rc == 2
    assert "shallow" in err


# --------------------------------------------------------------------------- python -m opsbundle


def test_python_dash_m(tmp_path):
    root = build_repo(tmp_path, "good_minimal", "bad_relative_dest")
    done = run_module("validate", "--no-native", cwd=root / "logging")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("logging/relative-dest/manifest.yaml:18:9: FIL004 ")
    assert SUMMARY_LINE.match(lines[-1])
    done = run_module("validate", "--no-native", "minimal", cwd=root)
    assert done.returncode == 0
    assert done.stdout.startswith("ok: 1 bundle(s) checked")
    done = run_module("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert "no opsbundles repository" in done.stderr


WRONG = [5, "x", [1, [2]], {"a": {"b": 1}}, None, True, 1.5]
KEYS = (
    "format_version name domain summary description license maintainers version tool "
    "implements requires services parameters files deprecated kind bundles provides"
).split()


@pytest.mark.parametrize("wrong", WRONG, ids=[type(w).__name__ for w in WRONG])
def test_list_and_show_never_crash_on_wrong_types(tmp_path, capsys, wrong):
    """Every key of a tool manifest and a stack, and every parameter and file
    entry, of the wrong type: listed and shown, never a traceback."""
    import yaml

    root = build_repo(tmp_path, "good_minimal", "good_stack_demo")
    for path in (root / "logging/minimal/manifest.yaml", root / "bundles/stack-demo/manifest.yaml"):
        data = {key: wrong for key in KEYS}
        data["parameters"] = {"p": wrong, "q": {k: wrong for k in ("type", "format", "default")}}
        data["files"] = [wrong, {k: wrong for k in ("source", "dest", "mode", "roles")}]
        path.write_text(yaml.safe_dump(data))
    for argv in (
        ["list"],
        ["list", "--format", "json"],
        ["list", "--implements", "x", "--service", "nova", "--domain", "logging"],
        ["show", "logging/minimal"],
        ["show", "logging/minimal", "--format", "json"],
        ["show", "bundles/stack-demo"],
    ):
        assert main([argv[0], "--root", str(root), *argv[1:]]) in (0, 1), argv
    capsys.readouterr()


def test_text_output_neutralises_terminal_escapes(tmp_path, capsys):
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    summary = 'summary: "A summary \\e]0;owned\\a\\e[2J here"'
    manifest.write_text(re.sub(r"(?m)^summary: .*$", lambda m: summary, manifest.read_text()))
    assert main(["list", "--root", str(root)]) == 0
    assert main(["show", "logging/minimal", "--root", str(root)]) == 0
    assert main(["validate", "--root", str(root), "--no-native", "--no-cache"]) in (0, 1)
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err and "\x07" not in out.out + out.err
    assert "\\x1b]0;owned\\x07" in out.out

"""values.py: --set / --values parsing, type coercion, and all problems at once."""

from __future__ import annotations

import pytest
from conftest import build_repo
from opsbundle import repo
from opsbundle.bundle import load_bundle
from opsbundle.values import (
    ValuesError,
    parse_sets,
    read_values_file,
    resolve,
    unknown_globals,
)


@pytest.fixture
def templated(tmp_path):
    root = build_repo(tmp_path, "good_templated", "good_minimal")
    (bdir,) = repo.select(root, repo.discover(root), ["logging/templated"])
    return load_bundle(root, bdir)


REQUIRED = {"instance_name": "main", "api_token": "s3cret"}


def test_parse_sets_reads_values_as_yaml():
    assert parse_sets(
        [
            "port=514",
            "ratio=0.5",
            "on=true",
            "name=main",
            "list=[nova, glance]",
            "map={a: 1}",
            "empty=",
            "eq=a=b",
            "broken=[unclosed",
        ]
    ) == {
        "port": 514,
        "ratio": 0.5,
        "on": True,
        "name": "main",
        "list": ["nova", "glance"],
        "map": {"a": 1},
        "empty": "",
        "eq": "a=b",
        "broken": "[unclosed",
    }


def test_parse_sets_scoped_keys():
    assert parse_sets(["logging/templated:listen_port=9000", "listen_port=1"]) == {
        "logging/templated": {"listen_port": 9000},
        "listen_port": 1,
    }


def test_parse_sets_reports_every_malformed_pair():
    with pytest.raises(ValuesError) as exc:
        parse_sets(["novalue", "ok=1", "=x"])
    lines = str(exc.value).splitlines()
    assert lines == [
        "--set 'novalue': expected KEY=VALUE",
        "--set '=x': expected KEY=VALUE",
    ]


def test_resolve_defaults_then_layers_in_order(templated):
    values = resolve(
        templated,
        [
            ("a.yaml", {**REQUIRED, "listen_port": 1000}),
            ("b.yaml", {"listen_port": 2000}),
        ],
    )
    assert values == {
        "instance_name": "main",
        "api_token": "s3cret",
        "listen_port": 2000,
        "upstreams": ["backend-1.example.org", "backend-2.example.org"],
    }


def test_scoped_value_beats_global_in_the_same_layer(templated):
    layer = {**REQUIRED, "listen_port": 1, "logging/templated": {"listen_port": 2}}
    assert resolve(templated, [("--set", layer)])["listen_port"] == 2


def test_values_for_another_bundle_are_ignored(templated):
    layer = {**REQUIRED, "logging/minimal": {"listen_port": 2}}
    assert resolve(templated, [("--set", layer)])["listen_port"] == 8080


def test_every_missing_required_parameter_is_named_at_once(templated):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [])
    lines = str(exc.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("logging/templated: missing required parameter 'instance_name'")
    assert lines[1].startswith("logging/templated: missing required parameter 'api_token' (secret)")


def test_type_errors_and_missing_together(templated):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [("v.yaml", {"listen_port": "high", "upstreams": "one"})])
    text = str(exc.value)
    assert "v.yaml: logging/templated parameter 'listen_port' wants int, got 'high'" in text
    assert "v.yaml: logging/templated parameter 'upstreams' wants list, got 'one'" in text
    assert "missing required parameter 'instance_name'" in text
    assert "missing required parameter 'api_token'" in text


def test_secret_value_is_never_echoed(templated):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [("--set", {"instance_name": "x", "api_token": ["hunter2-secret"]})])
    assert "hunter2-secret" not in str(exc.value)
    assert "parameter 'api_token' wants str, got <secret>" in str(exc.value)


def test_cli_numbers_become_strings_for_str_parameters(templated):
    values = resolve(templated, [("--set", {"instance_name": 1.0, "api_token": 42})])
    assert values["instance_name"] == "1.0"
    assert values["api_token"] == "42"


def test_file_numbers_are_not_coerced_to_strings(templated):
    with pytest.raises(ValuesError, match="'instance_name' wants str, got 1"):
        resolve(templated, [("v.yaml", {"instance_name": 1, "api_token": "x"})])


def test_bool_is_not_an_int(templated):
    with pytest.raises(ValuesError, match="'listen_port' wants int, got True"):
        resolve(templated, [("--set", {**REQUIRED, "listen_port": True})])


def test_scoped_unknown_parameter_suggests_the_close_one(templated):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [("--set", {**REQUIRED, "logging/templated": {"listen_prot": 1}})])
    assert str(exc.value) == (
        "--set: logging/templated has no parameter 'listen_prot' (did you mean 'listen_port'?)"
    )


def test_unknown_globals_suggest_and_check_refs(templated):
    problems = unknown_globals(
        [templated],
        [
            ("--set", {"listen_prot": 1, "instance_name": "x"}),
            ("v.yaml", {"logging/nothing": {"a": 1}, "logging/templated": {}}),
        ],
    )
    assert problems == [
        "--set: no bundle being rendered has parameter 'listen_prot' (did you mean 'listen_port'?)",
        "v.yaml: 'logging/nothing' is not a bundle being rendered",
    ]


def test_read_values_file(tmp_path):
    p = tmp_path / "values.yaml"
    p.write_text("instance_name: main\nlisten_port: 9000\n")
    assert read_values_file(p) == {"instance_name": "main", "listen_port": 9000}


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"- a\n", "YML010"), (b"a: [1\n", "YML001"), (b"a: caf\xe9\n", "YML004")],
)
def test_read_values_file_refuses_bad_files(tmp_path, content, code):
    p = tmp_path / "values.yaml"
    p.write_bytes(content)
    with pytest.raises(ValuesError, match=code):
        read_values_file(p)


def test_read_values_file_missing(tmp_path):
    with pytest.raises(ValuesError, match="YML012"):
        read_values_file(tmp_path / "nope.yaml")

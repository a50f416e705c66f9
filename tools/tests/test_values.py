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
    read_values_layer,
    resolve,
    set_layer,
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
        "--set 'novalue': VAL005 expected KEY=VALUE",
        "--set '=x': VAL005 expected KEY=VALUE",
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
    assert lines[0].startswith(
        "logging/templated: VAL004 missing required parameter 'instance_name'"
    )
    assert lines[1].startswith(
        "logging/templated: VAL004 missing required parameter 'api_token' (secret)"
    )
    assert "e.g. 'main'" in lines[0]


def test_type_errors_and_missing_together(templated):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [("v.yaml", {"listen_port": "high", "upstreams": "one"})])
    text = str(exc.value)
    assert "v.yaml: VAL002 logging/templated parameter 'listen_port' wants int, got 'high'" in text
    assert "v.yaml: VAL002 logging/templated parameter 'upstreams' wants list, got 'one'" in text
    assert "missing required parameter 'instance_name'" in text
    assert "missing required parameter 'api_token'" in text


def test_secret_value_is_never_echoed(templated):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [("--set", {"instance_name": "x", "api_token": ["hunter2-secret"]})])
    assert "hunter2-secret" not in str(exc.value)
    assert "parameter 'api_token' wants str, got <secret>" in str(exc.value)


@pytest.mark.parametrize(
    ("given", "exact"),
    [("012345", "012345"), ("1:30", "1:30"), ("yes", "yes"), ("1.0", "1.0"), ("0x1F", "0x1F")],
)
def test_set_values_of_str_parameters_are_the_text_as_given(templated, given, exact):
    """YAML 1.1 reads 012345 as 5349, 1:30 as 90 and yes as True; a str
    parameter takes the characters typed, secrets included."""
    layer = set_layer(["instance_name=012345", f"api_token={given}"])
    values = resolve(templated, [layer])
    assert values["instance_name"] == "012345"
    assert values["api_token"] == exact


def test_file_values_of_str_parameters_are_the_scalar_as_written(templated, tmp_path):
    p = tmp_path / "site.yaml"
    p.write_text("instance_name: 012345\napi_token: yes\nupstreams: [10.0.0.1, 0x1F]\n")
    values = resolve(templated, [read_values_layer(p)])
    assert values["instance_name"] == "012345"
    assert values["api_token"] == "yes"
    assert values["upstreams"] == ["10.0.0.1", "0x1F"]


def test_quoted_set_values_lose_their_yaml_quotes(templated):
    layer = set_layer(["instance_name='main'", 'api_token="a: b"'])
    assert resolve(templated, [layer])["api_token"] == "a: b"


def test_file_numbers_are_not_coerced_to_strings(templated):
    with pytest.raises(ValuesError, match="'instance_name' wants str, got 1"):
        resolve(templated, [("v.yaml", {"instance_name": 1, "api_token": "x"})])


def test_bool_is_not_an_int(templated):
    with pytest.raises(ValuesError, match="'listen_port' wants int, got True"):
        resolve(templated, [("--set", {**REQUIRED, "listen_port": True})])


def test_scoped_unknown_parameter_suggests_the_close_one(templated):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [("--set", {**REQUIRED, "logging/templated": {"listen_prot": 1}})])
    (f,) = exc.value.findings
    assert (f.code, f.path, f.line) == ("VAL003", "--set logging/templated:listen_prot", 0)
    assert f.message == "logging/templated has no parameter 'listen_prot'"
    assert f.hint == "did you mean 'listen_port'?"


def test_unknown_globals_suggest_and_check_refs(templated):
    problems = unknown_globals(
        [templated],
        [
            ("--set", {"listen_prot": 1, "instance_name": "x"}),
            ("v.yaml", {"logging/nothing": {"a": 1}, "logging/templated": {}}),
        ],
    )
    assert [f.as_text() for f in problems] == [
        "--set listen_prot: VAL003 no bundle being rendered has parameter 'listen_prot' "
        "(hint: did you mean 'listen_port'?)",
        "v.yaml: VAL003 'logging/nothing' is not a bundle being rendered",
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


@pytest.fixture
def collector(tmp_path):
    root = build_repo(tmp_path, "good_collector")
    (bdir,) = repo.select(root, repo.discover(root), ["logging/collector"])
    return load_bundle(root, bdir)


VOCAB = {"services": {"keystone": "", "nova": "", "glance": ""}, "roles": {"all": ""}}


def test_every_bad_value_is_named_with_its_place_at_once(collector, tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text(
        "log_layout: kola\n"
        "log_services: [nova, keystonee]\n"
        'aggregator_host: \'logs.example.org") } module(load="omprog")\'\n'
        "aggregator_port: 99999\n"
        "logging/collector:\n"
        "  tls_ca_file: relative/ca.pem\n"
        "  tls_enabeld: true\n"
    )
    sets = set_layer(["tls_enabled=maybe"])
    with pytest.raises(ValuesError) as exc:
        resolve(collector, [read_values_layer(site), sets], VOCAB)
    got = [(f.code, f.path.rsplit("/", 1)[-1], f.line, f.col) for f in exc.value.findings]
    assert got == [
        ("VAL001", "site.yaml", 1, 13),
        ("VAL001", "site.yaml", 2, 22),
        ("VAL001", "site.yaml", 3, 18),
        ("VAL001", "site.yaml", 4, 18),
        ("VAL001", "site.yaml", 6, 16),
        ("VAL003", "site.yaml", 7, 16),
        ("VAL002", "--set tls_enabled", 0, 0),
    ]
    text = str(exc.value)
    assert "'kola' must be one of rdo, debian, kolla, tripleo (did you mean kolla?)" in text
    assert "[1]: 'keystonee' is not a service of interfaces/vocabulary.yaml" in text
    assert "(did you mean keystone?)" in text
    assert "is neither a host name nor an IP address (hint: host" in text
    assert "e.g. 'logs.example.org'" in text
    assert "'99999' is not a port number (1-65535)" in text
    assert "'relative/ca.pem' is not an absolute path" in text
    assert "did you mean 'tls_enabled'?" in text
    assert "parameter 'tls_enabled' wants bool, got 'maybe'" in text


def test_a_missing_value_says_its_format_and_a_good_example(collector):
    with pytest.raises(ValuesError) as exc:
        resolve(collector, [], VOCAB)
    codes = {f.code for f in exc.value.findings}
    assert codes == {"VAL004"}
    assert "parameter 'log_layout'" in str(exc.value)
    assert "enum (one of the choices), e.g. 'debian'" in str(exc.value)


@pytest.mark.parametrize(
    "value",
    ["a\nb", "a\rb", "a\x00b", "a\x1b[31mb", "a\u2028b", "a\u2029b", "a\u202eb", "\ud800"],
)
def test_no_format_admits_a_control_character_not_even_text(templated, value):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [("v.yaml", {"instance_name": "main", "api_token": value})])
    (f,) = exc.value.findings
    assert f.code == "VAL001"
    assert "control character" in f.message
    assert "<secret>" in f.message and value not in f.message


def test_a_secret_value_is_hidden_in_format_findings(templated):
    with pytest.raises(ValuesError) as exc:
        resolve(templated, [("v.yaml", {"instance_name": "main", "api_token": "x" * 5000})])
    assert "xxxx" not in str(exc.value)
    assert "5000 characters long" in str(exc.value)


def test_strings_in_a_list_or_map_without_a_format_are_refused(collector):
    spec = collector.parameters()
    assert "format" not in spec["tls_enabled"]
    with pytest.raises(ValuesError, match="VAL002"):
        resolve(
            collector,
            [
                (
                    "v.yaml",
                    {
                        "log_layout": "kolla",
                        "log_services": ["nova"],
                        "aggregator_host": "x.org",
                        "tls_enabled": "yes",
                    },
                )
            ],
            VOCAB,
        )


@pytest.mark.parametrize(
    "raw", ["!!python/object/apply:os.system ['id']", "&a [*a]", "[" * 100 + "]" * 100]
)
def test_set_goes_through_the_bounded_reader(raw):
    with pytest.raises(ValuesError) as exc:
        set_layer([f"x={raw}"])
    assert {f.code for f in exc.value.findings} <= {"YML006", "YML007", "YML008"}
    assert exc.value.findings


def test_set_with_a_bad_explicit_tag_is_a_finding():
    with pytest.raises(ValuesError, match="YML013"):
        set_layer(["x=!!bool nope"])

"""checks/templates.py and templating.py: templates read declared parameters
only and render, in the sandbox, with the bundle's defaults and examples."""

from __future__ import annotations

import shutil

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, make_repo, of_bundle, validate
from opsbundle import templating
from opsbundle.templating import Compiled, TemplateProblem, render_string


@pytest.mark.parametrize("fixture", bad_cases("TPL"))
def test_bad_templates_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def _template(root, ref, text, source="files/app.conf.j2"):
    (root / ref / source).write_text(text)


def test_undeclared_variable_message_and_hint(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_template_undeclared")
    assert f.message == "'listen_host' is not a declared parameter"
    assert f.hint == "declare parameters.listen_host in manifest.yaml"


def test_render_failure_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_template_render")
    assert f.message.startswith("does not render with the defaults and examples: ")
    assert "ZeroDivisionError" in f.message


def test_latin1_template_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_template_latin1")
    assert f.message.startswith("logging/template-latin1/files/app.conf.j2: ")


def test_unused_parameter_is_a_warning(tmp_path):
    root = build_repo(tmp_path, "bad_unused_param")
    report = validate(root)
    (f,) = report.findings
    assert f.message == "parameter 'listen_host' is used by no template or destination"
    assert f.severity == "warning"
    assert not report.failed()


def test_each_undeclared_variable_at_its_first_line(tmp_path):
    root = build_repo(tmp_path, "bad_template_undeclared")
    _template(
        root,
        "logging/template-undeclared",
        "port = {{ listen_port }}\n\nb = {{ beta }}\na = {{ alpha }}\nb2 = {{ beta }}\n",
    )
    found = of_bundle(validate(root), "logging/template-undeclared")
    assert [(f.code, f.line, f.message) for f in found] == [
        ("TPL002", 4, "'alpha' is not a declared parameter"),
        ("TPL002", 3, "'beta' is not a declared parameter"),
    ]


@pytest.mark.parametrize(
    "expr",
    ["{{ ''.__class__.__mro__ }}", "{% set l = [] %}{{ l.append(1) }}", "{{ cycler.__init__ }}"],
)
def test_templates_run_in_the_sandbox(tmp_path, expr):
    root = build_repo(tmp_path, "bad_template_syntax")
    _template(root, "logging/template-syntax", f"# ok\n{expr}\n")
    (f,) = of_bundle(validate(root), "logging/template-syntax")
    assert (f.code, f.line) == ("TPL003", 2)
    assert "SecurityError" in f.message or "UndefinedError" in f.message


def test_interface_data_is_visible_to_templates(tmp_path):
    root = build_repo(tmp_path, "good_collector")
    _template(
        root,
        "logging/collector",
        "{{ interface['log-collection/v1'].layouts[log_layout].path }}"
        "{{ log_services }}{{ aggregator_host }}{{ aggregator_port }}{{ tls_enabled }}"
        "{{ tls_ca_file }}\n{{ interface['log-collection/v1'].layouts.nope.path }}\n",
        source="files/collector.conf.j2",
    )
    (f,) = of_bundle(validate(root), "logging/collector")
    assert (f.code, f.line) == ("TPL003", 2)
    assert "nope" in f.message


def test_parameter_used_only_in_a_destination_is_used(tmp_path):
    root = build_repo(tmp_path, "good_templated")
    _template(
        root,
        "logging/templated",
        "{{ listen_port }}{{ upstreams }}{{ api_token | ini_value }}\n",
        source="files/instance.conf.j2",
    )
    assert validate(root).findings == []


def test_syntax_error_in_a_destination_is_tpl001(tmp_path):
    root = build_repo(tmp_path, "good_templated")
    manifest = root / "logging/templated/manifest.yaml"
    manifest.write_text(
        manifest.read_text().replace("{{ instance_name }}.conf", "{{ instance_name .conf")
    )
    found = of_bundle(validate(root), "logging/templated")
    tpl001 = [f for f in found if f.code == "TPL001"]
    assert [(f.path, f.line, f.col) for f in tpl001] == [("logging/templated/manifest.yaml", 48, 9)]
    assert tpl001[0].message.startswith("destination: ")


def test_static_files_are_not_templates(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    (root / "logging/minimal/files/minimal.conf").write_text("{{ not a template {% \n")
    assert validate(root).findings == []


def test_one_broken_template_does_not_hide_another(tmp_path):
    root = build_repo(tmp_path, "good_templated")
    manifest = root / "logging/templated/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("  - all\n", "  - all\n  template: true\n"))
    (root / "logging/templated/files/static.conf").write_text("{{ nope }}\n")
    _template(root, "logging/templated", "{% if %}\n", source="files/instance.conf.j2")
    found = of_bundle(validate(root), "logging/templated")
    assert {(f.code, f.path.rsplit("/", 1)[-1]) for f in found if f.code != "TPL005"} == {
        ("TPL001", "instance.conf.j2"),
        ("TPL002", "static.conf"),
    }


def test_secret_file_with_a_private_mode_is_fine(tmp_path):
    root = build_repo(tmp_path, "bad_secret_world_readable")
    manifest = root / "logging/secret-world-readable/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("mode: '0644'", "mode: '0600'"))
    assert validate(root).findings == []


# --------------------------------------------------------------------------- templating.py


def test_compiled_lists_variables_without_globals():
    c = Compiled(
        "{% for x in items %}{{ x }}{{ loop.index }}{% endfor %}{{ interface }}"
        "{{ range(2) | list }}{% set y = 1 %}{{ y }}{{ other | default('z') }}"
    )
    assert c.variables == {"items", "other"}


def test_strict_undefined_fails_instead_of_rendering_empty():
    with pytest.raises(TemplateProblem) as exc:
        render_string("a\n{{ missing }}\n", {})
    assert exc.value.line == 2
    assert "UndefinedError" in exc.value.message


def test_runtime_error_line_inside_a_loop():
    with pytest.raises(TemplateProblem) as exc:
        render_string("a\nb\n{% for i in [0] %}\n{{ 1 // i }}\n{% endfor %}\n", {})
    assert exc.value.line == 4
    assert exc.value.message.startswith("ZeroDivisionError")


def test_bundles_holding_the_same_text_share_one_compile(tmp_path, monkeypatch):
    """Two bundles that copy a template compile it once in a run, and a render
    error in either of two templates still names its own line (the compiled
    code's name is the same for all)."""
    made = []
    real = templating.Compiled.__init__
    monkeypatch.setattr(templating.Compiled, "__init__",
                        lambda self, source: made.append(source) or real(self, source))  # fmt: skip
    templating.compiled.cache_clear()
    root = build_repo(tmp_path, "good_templated")
    copy = root / "logging" / "copy"
    shutil.copytree(root / "logging" / "templated", copy)
    manifest = copy / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("name: templated", "name: copy", 1))
    assert validate(root, jobs=1).findings == []
    template = (copy / "files" / "instance.conf.j2").read_text(encoding="utf-8")
    assert made.count(template) == 1
    first = templating.compiled("a\n{{ 1 // 0 }}\n")
    second = templating.compiled("a\nb\nc\n{{ missing }}\n")
    for compiled, line in ((second, 4), (first, 2), (second, 4)):
        with pytest.raises(TemplateProblem) as exc:
            compiled.render({})
        assert exc.value.line == line


def test_syntax_error_line():
    with pytest.raises(TemplateProblem) as exc:
        Compiled("a\nb\n{% endfor %}\n")
    assert exc.value.line == 3


def test_trailing_newline_and_block_trimming_are_kept():
    assert render_string("{% if x %}\nyes\n{% endif %}\nend\n", {"x": True}) == "yes\nend\n"


def test_unused_interface_parameter_is_not_tpl005(tmp_path):
    """An implementation must declare every parameter its interface names,
    even one it does not use; only its own unused parameters are warned about."""
    from opsbundle.scaffold import create

    root = make_repo(tmp_path)
    path = create(root, "logging/lean", "lean", ["log-collection/v1"], ["nova"], "Ops")
    template = path / "files" / "lean.conf.j2"
    template.write_text(
        "".join(line for line in template.read_text().splitlines(True) if "tls_ca_file" not in line)
    )
    report = validate(root)
    assert [f.code for f in report.findings] == []
    manifest = path / "manifest.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "parameters:\n",
            "parameters:\n  spare:\n    type: str\n    format: identifier\n"
            "    description: Not used.\n    default: x\n",
        )
    )
    report = validate(root)
    assert [(f.code, f.message) for f in report.findings] == [
        ("TPL005", "parameter 'spare' is used by no template or destination")
    ]

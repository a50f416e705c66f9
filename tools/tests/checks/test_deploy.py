"""checks/deploy.py: per-file commands by name only, whole actions and edits."""

from __future__ import annotations

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, of_bundle, validate


@pytest.mark.parametrize("fixture", bad_cases("DEP"))
def test_bad_deploy_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def _with_files_tail(tmp_path, tail: str):
    """good_minimal with `tail` appended to its only files[] entry."""
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_text(manifest.read_text() + tail)
    return root


def test_known_names_pass(tmp_path):
    root = _with_files_tail(
        tmp_path,
        "  validate: promtool-rules\n  actions:\n  - apply: sensuctl-create\n"
        "  - service: demo\n    action: reload\n",
    )
    assert of_bundle(validate(root), "logging/minimal") == []


def test_unknown_apply_and_edit_validate_are_dep001(tmp_path):
    root = _with_files_tail(
        tmp_path,
        "  actions:\n  - apply: curl-pipe-sh\n  edits:\n  - file: /etc/x.conf\n"
        "    kind: line\n    line: x=1\n    validate: no-such-check\n",
    )
    found = of_bundle(validate(root), "logging/minimal")
    assert sorted(f.code for f in found) == ["DEP001", "DEP001"], [f.as_text() for f in found]
    assert {f.message.split("'")[1] for f in found} == {"curl-pipe-sh", "no-such-check"}


def test_edit_template_with_undeclared_variable_is_tpl002(tmp_path):
    root = _with_files_tail(
        tmp_path, "  edits:\n  - file: /etc/x.conf\n    kind: line\n    line: x={{ nope }}\n"
    )
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert f.code == "TPL002" and "nope" in f.message

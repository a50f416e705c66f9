"""checks/files.py: sources stay inside the bundle, destinations are clean."""

from __future__ import annotations

import os

import pytest
from conftest import bad_cases, build_repo, check_bad_fixture, of_bundle, validate
from opsbundle.paths import dest_problem, source_problem


@pytest.mark.parametrize("fixture", bad_cases("FIL"))
def test_bad_files_fixture(tmp_path, fixture):
    check_bad_fixture(tmp_path, fixture)


def _minimal_with_source(tmp_path, make_source):
    """good_minimal whose files/minimal.conf is replaced by `make_source(path)`."""
    root = build_repo(tmp_path, "good_minimal")
    src = root / "logging/minimal/files/minimal.conf"
    src.unlink()
    make_source(src)
    return root


def test_symlink_leading_out_is_fil003(tmp_path):
    outside = tmp_path / "outside.conf"
    outside.write_text("secret stuff\n")
    root = _minimal_with_source(tmp_path, lambda p: p.symlink_to(outside))
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert (f.code, f.path, f.line, f.col) == ("FIL003", "logging/minimal/manifest.yaml", 17, 11)
    assert str(outside) in f.message


def test_relative_symlink_leading_out_is_fil003(tmp_path):
    root = build_repo(tmp_path, "good_minimal", "good_templated")
    src = root / "logging/minimal/files/minimal.conf"
    src.unlink()
    src.symlink_to(os.path.join("..", "..", "templated", "files", "static.conf"))
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert (f.code, f.line) == ("FIL003", 17)


def test_dangling_symlink_out_is_fil003(tmp_path):
    root = _minimal_with_source(tmp_path, lambda p: p.symlink_to("/nonexistent/x.conf"))
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert f.code == "FIL003"


def test_symlink_inside_the_bundle_is_fine(tmp_path):
    def link(p):
        (p.parent / "real.conf").write_text("real\n")
        p.symlink_to("real.conf")

    root = _minimal_with_source(tmp_path, link)
    assert validate(root).findings == []


def test_symlinked_directory_leading_out_is_fil003(tmp_path):
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "minimal.conf").write_text("x\n")
    root = build_repo(tmp_path, "good_minimal")
    files = root / "logging/minimal/files"
    for p in files.iterdir():
        p.unlink()
    files.rmdir()
    files.symlink_to(outside, target_is_directory=True)
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert f.code == "FIL003"


def test_dotdot_source_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_dotdot_source")
    assert "leaves the bundle" in f.message


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("/etc/passwd", "FIL002"),
        ("../x", "FIL002"),
        ("files/../../x", "FIL002"),
        ("~/x", "FIL002"),
        ("files/nope.conf", "FIL001"),
        ("files", "FIL001"),
        ("files/app.conf", None),
        ("./files/app.conf", None),
    ],
)
def test_source_problem(tmp_path, source, code):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "app.conf").write_text("x\n")
    problem = source_problem(tmp_path, source)
    assert (problem[0] if problem else None) == code


@pytest.mark.parametrize(
    ("dest", "code", "hint"),
    [
        ("/etc/x.conf", None, None),
        ("etc/x.conf", "FIL004", "start it with /"),
        ("", "FIL004", "start it with /"),
        ("/etc/../../x", "FIL005", "write /x"),
        ("/etc//x.conf", "FIL005", "write /etc/x.conf"),
        ("/etc/./x.conf", "FIL005", "write /etc/x.conf"),
        ("/etc/x/", "FIL005", "write /etc/x"),
        ("//etc/x.conf", "FIL005", "write /etc/x.conf"),
        ("/etc/{{ name }}.conf", None, None),
    ],
)
def test_dest_problem(dest, code, hint):
    problem = dest_problem(dest)
    if code is None:
        assert problem is None
    else:
        assert (problem[0], problem[2]) == (code, hint)


def test_shared_dest_on_disjoint_roles_is_fine(tmp_path):
    root = build_repo(tmp_path, "bad_shared_dest")
    manifest = root / "logging/shared-dest/manifest.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("  roles:\n  - all\n", "  roles:\n  - compute\n", 1))
    assert validate(root).findings == []


def test_shared_dest_message(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_shared_dest")
    assert f.message == (
        "destination '/etc/demo-tool/app.conf' is also written by files[0] on the same hosts"
    )


def test_numeric_mode_hint_gives_the_quoted_form(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_numeric_mode")
    assert f.message == "mode was read as the number 420 (0644 octal); quote it"
    assert f.hint == "mode: '0644'"


@pytest.mark.parametrize("mode", ["'0644'", "'644'", "'0755'", "'1777'", "'0600'"])
def test_octal_string_modes_are_fine(tmp_path, mode):
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("mode: '0644'", f"mode: {mode}"))
    assert validate(root).findings == []


@pytest.mark.parametrize("mode", ["'0888'", "'64'", "'0o644'", "'rw-r--r--'", "'077777'"])
def test_non_octal_string_modes_are_fil007(tmp_path, mode):
    root = build_repo(tmp_path, "good_minimal")
    manifest = root / "logging/minimal/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("mode: '0644'", f"mode: {mode}"))
    (f,) = of_bundle(validate(root), "logging/minimal")
    assert (f.code, f.line, f.col) == ("FIL007", 19, 9)


def test_destination_parameter_that_is_declared_is_fine(tmp_path):
    root = build_repo(tmp_path, "bad_dest_undeclared")
    manifest = root / "logging/dest-undeclared/manifest.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "services:",
            "parameters:\n  instance:\n    type: str\n    format: identifier\n"
            "    description: Instance.\n    default: main\nservices:",
        )
    )
    assert validate(root).findings == []


def test_secret_in_a_world_readable_file(tmp_path):
    (f,) = check_bad_fixture(tmp_path, "bad_secret_world_readable")
    assert f.message == "file holds secret(s) api_token but mode 0644 is world-readable"

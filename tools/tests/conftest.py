"""Shared helpers for the opsbundle test suite.

Fixture repositories
--------------------
A test never touches the real repository: it builds a throw-away one under
`tmp_path` with `build_repo(tmp_path, *fixture_names)`. That copies the real
`interfaces/` and places each fixture bundle from `tools/tests/fixtures/`.

Fixture naming convention (placement is decided by the directory name only, so
a fixture whose manifest does not even parse still lands somewhere known):

* `good_<name>`   a bundle that validates with zero findings;
* `bad_<name>`    a bundle that produces exactly the finding(s) listed for it in
                  `BAD_FIXTURES` below;
* `member_<name>` a helper bundle that only exists to be a stack member.

`<name>` with `_` turned into `-` is the bundle's directory name, and the
manifest's `name` is that same string (bundle names may not contain `_`).
A fixture whose `<name>` starts with `stack_` is a stack and is placed at
`bundles/<name>`; every other fixture is a tool bundle placed at
`logging/<name>`. Examples: `bad_secret_default` -> `logging/secret-default`,
`good_stack_demo` -> `bundles/stack-demo`, `member_old_tool` -> `logging/old-tool`.

When a stack fixture is placed, each member it lists (`logging/<m>`) is placed
too if a fixture `good_<m>` or `member_<m>` exists (`-` read as `_`).

A fixture directory may carry its own `interfaces/` sub-directory: it is not
part of the bundle but is laid over the copied real `interfaces/`, which is how
deprecated and removed interfaces are tested.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from opsbundle.findings import Report
from opsbundle.validate import Options, run

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
REAL_ROOT = TESTS.parents[1]
REAL_INTERFACES = REAL_ROOT / "interfaces"
DOMAIN_DIRS = ("logging", "monitoring", "packaging", "bundles")


# --------------------------------------------------------------------------- order

# Test files that build real packages or start real daemons, longest first:
# pytest-xdist (`nox -s tests`) hands files out in collection order, so these
# start first and no worker is left with one of them at the end.
HEAVY_FIRST = (
    "pkgbuild/test_build_",
    "ansible/test_deploy_role",
    "ansible/test_site_flow",
    "test_zabbix_import",
    "logparse/test_conformance",
    "test_conformance_service_checks",
    "cloud/",
    "conformance/",
    "engines/",
    "pkgbuild/test_depends",
    "logparse/",
)


def pytest_collection_modifyitems(items):
    def weight(item) -> int:
        path = item.nodeid.split("::")[0]
        return next((i for i, p in enumerate(HEAVY_FIRST) if p in path), len(HEAVY_FIRST))

    items.sort(key=weight)  # stable: a file's tests keep their order


# --------------------------------------------------------------------------- environment


@pytest.fixture(autouse=True)
def xdg_cache(tmp_path_factory, monkeypatch):
    """validate keeps a result cache in $XDG_CACHE_HOME; never the real home."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


def subprocess_env(**extra: str) -> dict:
    """Environment for a child `python -m opsbundle`: the package importable,
    the cache out of the home directory, git quiet and deterministic."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REAL_ROOT / "tools"), env.get("PYTHONPATH", "")) if p
    )
    env.update(
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.org",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.org",
        GIT_CONFIG_NOSYSTEM="1",
    )
    env.update(extra)
    return env


# --------------------------------------------------------------------------- fixture repos


def fixture_ref(fixture: str) -> str:
    """`bad_secret_default` -> `logging/secret-default`; see the module docstring."""
    _, _, rest = fixture.partition("_")
    top = "bundles" if rest.startswith("stack_") else "logging"
    return f"{top}/{rest.replace('_', '-')}"


def make_repo(tmp_path: Path, interfaces: Path | None = None) -> Path:
    """An empty opsbundles repository: real (or given) interfaces, empty domains."""
    root = tmp_path / "repo"
    shutil.copytree(interfaces or REAL_INTERFACES, root / "interfaces")
    for top in DOMAIN_DIRS:
        (root / top).mkdir(parents=True, exist_ok=True)
    return root


def _member_fixture(member_ref: str) -> str | None:
    top, _, name = member_ref.partition("/")
    for prefix in ("good_", "member_"):
        candidate = prefix + name.replace("-", "_")
        if (FIXTURES / candidate).is_dir() and fixture_ref(candidate) == member_ref:
            return candidate
    return None


def place(root: Path, fixture: str) -> str:
    """Copy one fixture bundle (and, for a stack, its fixture members) into `root`."""
    src = FIXTURES / fixture
    assert src.is_dir(), f"no fixture {fixture}"
    ref = fixture_ref(fixture)
    dest = root / ref
    if dest.exists():
        return ref
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns("interfaces"))
    if (src / "interfaces").is_dir():
        shutil.copytree(src / "interfaces", root / "interfaces", dirs_exist_ok=True)
    if ref.startswith("bundles/"):
        try:
            data = yaml.safe_load((src / "manifest.yaml").read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            data = None
        for member in (data or {}).get("bundles") or []:
            name = _member_fixture(str(member.get("bundle", "")))
            if name:
                place(root, name)
    return ref


def build_repo(tmp_path: Path, *fixtures: str, interfaces: Path | None = None) -> Path:
    root = make_repo(tmp_path, interfaces)
    for fixture in fixtures:
        place(root, fixture)
    return root


def validate(root: Path, *names: str, **options) -> Report:
    """One validation run with neither native engines nor the result cache."""
    options.setdefault("native", False)
    options.setdefault("cache", False)
    return run(root, Options(names=list(names), **options))


def of_bundle(report: Report, ref: str) -> list:
    return [f for f in report.findings if f.bundle == ref]


def snapshot(top: Path, skip: Path | None = None) -> dict[str, bytes | str]:
    """Every path under `top` with its bytes (files) or link target (symlinks),
    to prove a command wrote nothing, or changed nothing, there."""
    out: dict[str, bytes | str] = {}
    for path in sorted(top.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        rel = path.relative_to(top).as_posix()
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = path.read_bytes()
        else:
            out[rel] = "<dir>"
    return out


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def git_init(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.org")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")


def site_repo(
    top: Path, upstream: Path, user: str = "Test", email: str = "test@example.org"
) -> None:
    """A site repository made at `top`, `upstream` (an opsbundles repository)
    added to it as a git submodule at vendor/opsbundles (staged, not
    committed), as a site vendors opsbundles."""
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    git(top, "config", "user.name", user)
    git(top, "config", "user.email", email)
    git(top, "-c", "protocol.file.allow=always",
        "submodule", "add", "-q", str(upstream), "vendor/opsbundles")  # fmt: skip


def pre_commit_hook(top: Path, script: str) -> None:
    """`script` as the pre-commit hook of the repository at `top` ({python}
    in it: this interpreter)."""
    hook = top / ".git/hooks/pre-commit"
    hook.write_text(script.format(python=sys.executable))
    hook.chmod(0o755)


def run_module(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opsbundle", *args],
        cwd=cwd,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --------------------------------------------------------------------------- expectations


class Expect(NamedTuple):
    """The finding a bad fixture must produce: its code, the file it points at
    (relative to the bundle; "" for the bundle directory itself), the line and,
    where it means something, the column. `also` lists every other code the
    fixture produces; nothing else may appear for that bundle."""

    code: str
    file: str
    line: int
    col: int | None = None
    also: tuple[str, ...] = ()


BAD_FIXTURES: dict[str, Expect] = {
    # YAML reading
    "bad_yaml_syntax": Expect("YML001", "manifest.yaml", 14, 11),
    "bad_yaml_duplicate_key": Expect("YML002", "manifest.yaml", 14, 1),
    "bad_yaml_tab": Expect("YML003", "manifest.yaml", 18, 3),
    "bad_yaml_latin1": Expect("YML004", "manifest.yaml", 5, 28),
    "bad_yaml_empty": Expect("YML005", "manifest.yaml", 1, 1),
    "bad_yaml_python_tag": Expect("YML006", "manifest.yaml", 5, 10),
    "bad_yaml_alias_bomb": Expect("YML007", "manifest.yaml", 19),
    "bad_yaml_deep": Expect("YML008", "manifest.yaml", 14),
    "bad_yaml_toplevel_list": Expect("YML010", "manifest.yaml", 2, 1),
    "bad_yaml_merge_key": Expect("YML011", "manifest.yaml", 21, 3),
    # schemas
    "bad_schema_short_summary": Expect("SCH001", "manifest.yaml", 5, 10),
    "bad_schema_unknown_key": Expect("SCH001", "manifest.yaml", 22, 1),
    "bad_schema_interface_section": Expect("SCH002", "manifest.yaml", 18, 16),
    "bad_schema_format_version": Expect("SCH003", "manifest.yaml", 2, 17),
    "bad_schema_changelog": Expect("SCH004", "changelog.yaml", 5, 11),
    # identity
    "bad_name_mismatch": Expect("MAN001", "manifest.yaml", 3, 7),
    "bad_domain_mismatch": Expect("MAN002", "manifest.yaml", 4, 9),
    "bad_no_manifest": Expect("MAN003", "", 1, 1),
    "bad_deprecated": Expect("MAN004", "manifest.yaml", 23, 3),
    # vocabulary
    "bad_unknown_service": Expect("VOC001", "manifest.yaml", 15, 3),
    "bad_unknown_role": Expect("VOC002", "manifest.yaml", 21, 5),
    # files
    "bad_missing_source": Expect("FIL001", "manifest.yaml", 17, 11),
    "bad_dotdot_source": Expect("FIL002", "manifest.yaml", 17, 11),
    "bad_relative_dest": Expect("FIL004", "manifest.yaml", 18, 9),
    "bad_unnormalised_dest": Expect("FIL005", "manifest.yaml", 18, 9),
    "bad_shared_dest": Expect("FIL006", "manifest.yaml", 23, 9),
    "bad_nested_dest": Expect("FIL010", "manifest.yaml", 23, 9),
    "bad_numeric_mode": Expect("FIL007", "manifest.yaml", 19, 9),
    "bad_text_mode": Expect("FIL007", "manifest.yaml", 19, 9),
    "bad_dest_undeclared": Expect("FIL008", "manifest.yaml", 18, 9),
    "bad_secret_world_readable": Expect("FIL009", "manifest.yaml", 27, 9),
    # deployment data (render-index/v1)
    "bad_unknown_command": Expect("DEP001", "manifest.yaml", 22, 13),
    "bad_action_both": Expect("DEP002", "manifest.yaml", 23, 5),
    "bad_edit_incomplete": Expect("DEP003", "manifest.yaml", 23, 5),
    "bad_orphan_directory": Expect("DEP004", "manifest.yaml", 17, 9),
    "bad_edit_secret": Expect("DEP005", "manifest.yaml", 30, 5),
    # parameters
    "bad_secret_default": Expect("PAR001", "manifest.yaml", 23, 14),
    "bad_default_type": Expect("PAR002", "manifest.yaml", 20, 14),
    "bad_example_type": Expect("PAR003", "manifest.yaml", 22, 14),
    "bad_required_default": Expect("PAR004", "manifest.yaml", 21, 14),
    "bad_optional_no_default": Expect("PAR005", "manifest.yaml", 17, 3),
    "bad_secret_optional": Expect("PAR006", "manifest.yaml", 17, 3),
    "bad_no_format": Expect("PAR007", "manifest.yaml", 22, 3),
    "bad_unknown_format": Expect("PAR008", "manifest.yaml", 24, 13),
    "bad_format_default": Expect("PAR009", "manifest.yaml", 38, 7),
    # templates
    "bad_template_syntax": Expect("TPL001", "files/app.conf.j2", 3, 1),
    "bad_template_undeclared": Expect("TPL002", "files/app.conf.j2", 3, 1),
    "bad_template_render": Expect("TPL003", "files/app.conf.j2", 3, 1),
    "bad_template_latin1": Expect("TPL004", "manifest.yaml", 17, 11),
    "bad_unused_param": Expect("TPL005", "manifest.yaml", 21, 3),
    "bad_unescaped_text": Expect("TPL006", "files/instance.conf.j2", 7, 1),
    "bad_unknown_language": Expect("TPL007", "manifest.yaml", 47, 13, also=("TPL006",)),
    # interfaces
    "bad_unknown_interface": Expect("IFC001", "manifest.yaml", 15, 22),
    "bad_deprecated_interface": Expect("IFC002", "manifest.yaml", 15, 16),
    "bad_removed_interface": Expect("IFC003", "manifest.yaml", 15, 17),
    "bad_interface_ref": Expect("IFC004", "manifest.yaml", 15, 19),
    "bad_missing_iface_param": Expect("IFC005", "manifest.yaml", 15, 3),
    "bad_iface_param_type": Expect("IFC006", "manifest.yaml", 44, 11),
    "bad_iface_format": Expect("IFC008", "manifest.yaml", 37, 3),
    # changelog
    "bad_no_changelog": Expect("CHG001", "changelog.yaml", 1, 1),
    "bad_changelog_no_entry": Expect("CHG002", "changelog.yaml", 2, 1),
    "bad_changelog_order": Expect("CHG003", "changelog.yaml", 6, 12),
    "bad_changelog_future": Expect("CHG004", "changelog.yaml", 2, 12),
    # stacks
    "bad_stack_unknown_member": Expect("STK001", "manifest.yaml", 12, 11),
    "bad_stack_version": Expect("STK002", "manifest.yaml", 12, 12),
    "bad_stack_requires": Expect("STK003", "manifest.yaml", 11, 11),
    "bad_stack_collision": Expect("STK004", "manifest.yaml", 12, 11),
    "bad_stack_values": Expect("STK005", "manifest.yaml", 13, 5),
    "bad_stack_provides": Expect("STK006", "manifest.yaml", 11, 3),
    "bad_stack_duplicate": Expect("STK007", "manifest.yaml", 12, 11),
    "bad_stack_deprecated_member": Expect("STK008", "manifest.yaml", 11, 11),
    "bad_stack_secret_value": Expect("PAR001", "manifest.yaml", 13, 5),
    "bad_stack_preset_format": Expect("VAL001", "manifest.yaml", 18, 22),
}

GOOD_FIXTURES = ("good_minimal", "good_templated", "good_collector", "good_stack_demo")


def bad_cases(*prefixes: str) -> list:
    """pytest params for the BAD_FIXTURES whose code starts with one of `prefixes`."""
    return [
        pytest.param(name, id=name)
        for name, exp in BAD_FIXTURES.items()
        if exp.code.startswith(prefixes)
    ]


def assert_finding(found: list, path: str, exp: Expect) -> None:
    codes = {f.code for f in found}
    assert codes == {exp.code, *exp.also}, [f.as_text() for f in found]
    hits = [f for f in found if f.code == exp.code]
    where = [(f.path, f.line, f.col) for f in hits]
    want = (path, exp.line, exp.col)
    if exp.col is None:
        where = [w[:2] for w in where]
        want = want[:2]
    assert want in where, f"{exp.code} expected at {want}, found at {where}"


def check_bad_fixture(tmp_path: Path, fixture: str) -> list:
    """Validate a repo holding `fixture` and assert its expected finding."""
    exp = BAD_FIXTURES[fixture]
    root = build_repo(tmp_path, fixture)
    ref = fixture_ref(fixture)
    report = validate(root)
    found = of_bundle(report, ref)
    path = f"{ref}/{exp.file}" if exp.file else f"{ref}/"
    assert_finding(found, path, exp)
    return found


# Codes whose tests build their repository at test time (too big to store, a
# symlink, or a git history) rather than reading a stored fixture; the tests
# that produce them are named beside each.
GENERATED_CODES = {
    "YML009": "checks/test_schema.py::test_oversized_manifest_is_yml009",
    "YML012": "checks/test_interfaces.py::test_unreadable_interface_definition_is_yml012",
    "FIL003": "checks/test_files.py::test_symlink_leading_out_is_fil003",
    "VER001": "checks/test_bump.py::test_changed_bundle_without_bump_is_ver001",
    "VER002": "checks/test_bump.py::test_version_going_down_is_ver002",
    "CAT001": "test_checks_catalog.py::test_not_implemented_must_name_a_catalog_check",
    "IFC007": "test_checks_catalog.py::test_a_secret_of_the_interface_must_stay_secret",
    "NAT003": "test_engine_sensu.py::test_rendered_bundle_passes_and_a_broken_one_fails",
    "PKG001": "checks/test_pkgbuild.py::test_a_missing_template_and_an_unknown_project",
    "PKG002": "checks/test_pkgbuild.py::test_a_missing_template_and_an_unknown_project",
    "PKG003": "checks/test_pkgbuild.py::test_a_missing_template_and_an_unknown_project",
    "YML013": "test_load.py::test_explicit_tag_with_a_bad_or_empty_value_is_yml013",
    "VAL001": "test_values.py::test_every_bad_value_is_named_with_its_place_at_once",
    "VAL002": "test_values.py::test_every_bad_value_is_named_with_its_place_at_once",
    "VAL003": "test_values.py::test_every_bad_value_is_named_with_its_place_at_once",
    "VAL004": "test_values.py::test_every_bad_value_is_named_with_its_place_at_once",
    "VAL005": "test_values.py::test_parse_sets_reports_every_malformed_pair",
    "VAL006": "test_site_overlays.py::test_secrets_that_others_can_read_are_refused",
}


# --- packaging: scratch copies of the repository and real PyPI sdists -------

ROOT = REPO = REAL_ROOT
SDIST_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "opsbundle" / "sdists"
)


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    """A scratch copy of the repository's bundles and interfaces to break."""
    dest = tmp_path / "repo"
    for part in ("interfaces", "packaging", "logging", "monitoring", "bundles"):
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, dest / part)
    return dest


def sdist(name: str, version: str) -> Path:
    """The unpacked PyPI sdist of name==version (no dependencies, no wheels),
    downloaded once and kept in the user's cache."""
    SDIST_CACHE.mkdir(parents=True, exist_ok=True)
    wanted = name.replace("-", "_").replace(".", "_").lower()
    found = [
        p
        for p in SDIST_CACHE.glob("*.tar.gz")
        if p.name.replace("-", "_")
        .replace(".", "_")
        .lower()
        .startswith(f"{wanted}_{version}".replace(".", "_"))
    ]
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"{name}=={version}",
                "-d",
                str(SDIST_CACHE),
            ],
            check=True,
        )
        return sdist(name, version)
    unpacked = SDIST_CACHE / "unpacked"
    with tarfile.open(found[0]) as tar:
        top = tar.getnames()[0].split("/")[0]
        if not (unpacked / top).is_dir():
            tar.extractall(unpacked, filter="data")
    return unpacked / top

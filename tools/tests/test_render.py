"""render.py: all-or-nothing rendering into DIR/<domain>/<name>/<dest>."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest
from conftest import (
    REAL_ROOT,
    build_repo,
    fixture_ref,
    make_repo,
    run_module,
    snapshot,
    subprocess_env,
)
from opsbundle.cli import main
from opsbundle.render import RenderError, render

SECRET = "hunter2-secret-value"
TEMPLATED_SETS = ["--set", "instance_name=main", "--set", f"api_token={SECRET}"]


@pytest.fixture
def root(tmp_path):
    return build_repo(tmp_path, "good_templated", "good_stack_demo")


def cli(root, *argv):
    return main([argv[0], "--root", str(root), *argv[1:]])


def render_templated(root, out, *extra):
    return cli(root, "render", "logging/templated", "-o", str(out), *TEMPLATED_SETS, *extra)


def test_files_land_under_domain_name_dest(root, tmp_path, capsys):
    out = tmp_path / "out"
    assert render_templated(root, out) == 0
    assert "rendered logging/templated 1.2.0: 2 file(s)" in capsys.readouterr().out
    conf = out / "logging/templated/etc/demo-tool/main.conf"
    static = out / "logging/templated/etc/demo-tool/conf.d/static.conf"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "index.json",
        "logging/templated/etc/demo-tool/conf.d/static.conf",
        "logging/templated/etc/demo-tool/main.conf",
    ]
    assert conf.read_text() == (
        "# main: managed by the opsbundle test fixtures\n"
        "listen 8080\n"
        "primary backend-1.example.org\n"
        "upstream backend-1.example.org\n"
        "upstream backend-2.example.org\n"
        f"token {SECRET}\n"
    )
    assert static.read_bytes() == (root / "logging/templated/files/static.conf").read_bytes()
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    assert stat.S_IMODE(static.stat().st_mode) == 0o644


def test_index_says_what_goes_where(root, tmp_path):
    out = tmp_path / "out"
    assert render_templated(root, out) == 0
    index = json.loads((out / "index.json").read_text())
    assert index["rendered"] == "logging/templated"
    assert index["version"] == "1.2.0"
    by_dest = {f["dest"]: f for f in index["files"]}
    assert set(by_dest) == {"/etc/demo-tool/main.conf", "/etc/demo-tool/conf.d/static.conf"}
    main_conf = by_dest["/etc/demo-tool/main.conf"]
    assert main_conf["mode"] == "0640"
    assert main_conf["roles"] == ["controller"]
    assert main_conf["actions"] == [
        {"id": "service:demo-tool", "service": "demo-tool", "action": "reload", "check": None}
    ]
    assert main_conf["secrets"] == ["api_token"]
    rendered = (out / main_conf["source"]).read_bytes()
    assert main_conf["sha256"] == hashlib.sha256(rendered).hexdigest()
    assert [p["path"] for p in main_conf["parents"]] == ["/etc", "/etc/demo-tool"]
    assert (out / main_conf["source"]).is_file()
    static = by_dest["/etc/demo-tool/conf.d/static.conf"]
    assert (static["mode"], static["roles"], static["template"]) == ("0644", ["all"], False)
    assert static["secrets"] == []
    assert index["managed"] == sorted(by_dest)
    assert SECRET not in (out / "index.json").read_text()


def test_set_and_values_layers(root, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("instance_name: fromfile\nlisten_port: 7000\napi_token: x\n")
    out = tmp_path / "out"
    rc = cli(
        root,
        "render",
        "templated",
        "-o",
        str(out),
        "--values",
        str(values),
        "--set",
        "listen_port=7001",
    )
    assert rc == 0
    text = (out / "logging/templated/etc/demo-tool/fromfile.conf").read_text()
    assert "listen 7001\n" in text


def test_all_missing_required_parameters_in_one_error(root, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(root, "render", "logging/templated", "-o", str(out)) == 1
    err = capsys.readouterr().err
    assert f"nothing written to {out}" in err
    assert "missing required parameter 'instance_name'" in err
    assert "missing required parameter 'api_token' (secret)" in err
    assert not out.exists()


def test_unknown_set_key_is_refused_with_a_suggestion(root, tmp_path, capsys):
    out = tmp_path / "out"
    assert render_templated(root, out, "--set", "listen_prot=9000") == 1
    err = capsys.readouterr().err
    assert (
        "--set listen_prot: VAL003 no bundle of the repository or --path has parameter "
        "'listen_prot' "
        "(hint: did you mean 'listen_port'?)" in err
    )
    assert not out.exists()


def test_bad_value_type_is_refused(root, tmp_path, capsys):
    out = tmp_path / "out"
    assert render_templated(root, out, "--set", "listen_port=abc") == 1
    assert "'listen_port' wants int, got 'abc'" in capsys.readouterr().err
    assert not out.exists()


def test_refuses_a_non_empty_dir_without_force(root, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious\n")
    before = snapshot(tmp_path)
    assert render_templated(root, out) == 1
    assert "is not empty; pass --force" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_empty_existing_dir_needs_no_force(root, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert render_templated(root, out) == 0
    assert (out / "index.json").is_file()


def test_force_replaces_the_contents(root, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old\n")
    assert render_templated(root, out, "--force") == 0
    assert not (out / "stale.txt").exists()
    assert (out / "logging/templated/etc/demo-tool/main.conf").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "repo"]


def test_nested_output_dir_is_created(root, tmp_path):
    out = tmp_path / "a" / "b" / "out"
    assert render_templated(root, out) == 0
    assert (out / "index.json").is_file()


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        (["--set", "upstreams=[]"], "UndefinedError"),  # fails inside the template
        (["--set", "listen_port=abc"], "wants int"),  # fails before rendering
    ],
)
def test_failed_render_leaves_dir_byte_for_byte(root, tmp_path, capsys, extra, why):
    out = tmp_path / "out"
    assert render_templated(root, out) == 0
    capsys.readouterr()
    before = snapshot(tmp_path)
    assert render_templated(root, out, "--force", "--set", "instance_name=other", *extra) == 1
    err = capsys.readouterr().err
    assert why in err
    assert SECRET not in err
    assert snapshot(tmp_path) == before  # same files, same bytes, no stray temp dirs


def test_template_error_names_file_and_line(root, tmp_path, capsys):
    assert render_templated(root, tmp_path / "out", "--set", "upstreams=[]") == 1
    assert "logging/templated/files/instance.conf.j2:3: UndefinedError" in capsys.readouterr().err


@pytest.mark.parametrize(
    "instance",
    ["../../../../../../escaped", "a/../../../../../../../escaped", "x/../../../../../../tmp/e"],
)
def test_destination_cannot_escape(root, tmp_path, capsys, instance):
    """The identifier format refuses such a name first; with a looser format
    (a pattern that admits '/' and '.') the destination check still holds."""
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    assert render_templated(root, out, "--set", f"instance_name={instance}") == 1
    assert "VAL001 logging/templated parameter 'instance_name'" in capsys.readouterr().err
    manifest = root / "logging/templated/manifest.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "    format: identifier\n", "    format: pattern\n    pattern: '[a-z./]+'\n", 1
        )
    )
    assert render_templated(root, out, "--set", f"instance_name={instance}") == 1
    assert "is not normalised" in capsys.readouterr().err
    assert snapshot(tmp_path, skip=root) == {
        k: v for k, v in before.items() if not k.startswith("repo")
    }
    assert not list(tmp_path.rglob("escaped*"))


def test_symlinked_output_dir_is_refused(root, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "out"
    link.symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(tmp_path)
    assert render_templated(root, link, "--force") == 1
    assert "is not a directory" in capsys.readouterr().err
    assert snapshot(tmp_path) == before
    assert list(elsewhere.iterdir()) == []


def test_output_path_that_is_a_file_is_refused(root, tmp_path):
    out = tmp_path / "out"
    out.write_text("a file\n")
    assert render_templated(root, out, "--force") == 1
    assert out.read_text() == "a file\n"


@pytest.mark.parametrize(
    ("fixture", "code"), [("bad_relative_dest", "FIL004"), ("bad_unnormalised_dest", "FIL005")]
)
def test_invalid_bundle_is_not_rendered(tmp_path, capsys, fixture, code):
    root = build_repo(tmp_path, fixture)
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    assert cli(root, "render", fixture_ref(fixture), "-o", str(out), "--force") == 1
    err = capsys.readouterr().err
    assert "the bundle does not validate" in err
    assert code in err
    assert snapshot(tmp_path) == before


def test_unreadable_manifest_is_not_rendered(tmp_path):
    root = build_repo(tmp_path, "bad_yaml_tab")
    with pytest.raises(RenderError, match="YML003"):
        render(root, "logging/yaml-tab", tmp_path / "out", [])


def test_stack_renders_every_member_with_presets(root, tmp_path):
    out = tmp_path / "out"
    rc = cli(
        root,
        "render",
        "bundles/stack-demo",
        "-o",
        str(out),
        "--set",
        "log_layout=kolla",
        "--set",
        "log_services=[nova, glance]",
        "--set",
        "aggregator_host=logs.example.org",
    )
    assert rc == 0
    index = json.loads((out / "index.json").read_text())
    assert index["rendered"] == "bundles/stack-demo"
    assert sorted(f["dest"] for f in index["files"]) == [
        "/etc/demo-tool/collector.conf",
        "/etc/demo-tool/minimal.conf",
    ]
    conf = (out / "logging/collector/etc/demo-tool/collector.conf").read_text()
    assert "forward_port 10514\n" in conf  # the stack's preset
    assert "watch /var/log/kolla/nova/*.log\n" in conf  # interface data from layouts.yaml
    assert "watch /var/log/kolla/glance/*.log\n" in conf
    assert (out / "logging/minimal/etc/demo-tool/minimal.conf").is_file()


def test_set_overrides_a_stack_preset(root, tmp_path):
    doc = render(
        root,
        "bundles/stack-demo",
        tmp_path / "out",
        [
            (
                "--set",
                {
                    "log_layout": "rdo",
                    "log_services": ["nova"],
                    "aggregator_host": "h",
                    "aggregator_port": 1,
                },
            )
        ],
    )
    assert doc["rendered"] == "bundles/stack-demo"
    conf = (tmp_path / "out/logging/collector/etc/demo-tool/collector.conf").read_text()
    assert "forward_port 1\n" in conf


@pytest.mark.parametrize(
    "dests",
    [("/", "/etc/demo-tool/b.conf"), ("/etc/demo-tool/x", "/etc/demo-tool/x/b.conf")],
    ids=["root-dest", "file-then-subpath"],
)
def test_clashing_destination_paths_fail_cleanly(tmp_path, capsys, dests):
    """BUG: validation accepts a destination of '/' and a pair of destinations
    where one is a directory prefix of the other (`/etc/demo-tool/x` and
    `/etc/demo-tool/x/b.conf`); render then writes the first file where the
    second needs a directory and dies with an uncaught NotADirectoryError /
    FileExistsError traceback from render.render_files
    (`target.parent.mkdir(...)`). Expected: a RenderError, exit status 1."""
    root = build_repo(tmp_path, "good_minimal")
    bdir = root / "logging" / "minimal"
    (bdir / "files" / "b.conf").write_text("b\n")
    manifest = (bdir / "manifest.yaml").read_text()
    manifest = manifest.replace("dest: /etc/demo-tool/minimal.conf", f"dest: {dests[0]}")
    manifest += f"- source: files/b.conf\n  dest: {dests[1]}\n  mode: '0644'\n  roles:\n  - all\n"
    (bdir / "manifest.yaml").write_text(manifest)
    out = tmp_path / "out"
    assert cli(root, "render", "minimal", "-o", str(out)) == 1
    assert "nothing written" in capsys.readouterr().err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


def test_real_rsyslog_bundle_renders_with_its_test_values(tmp_path):
    root = make_repo(tmp_path)
    shutil.copytree(REAL_ROOT / "logging" / "rsyslog", root / "logging" / "rsyslog")
    values = root / "logging/rsyslog/tests/values.yaml"
    doc = render(root, "rsyslog", tmp_path / "out", [(str(values), _read(values))])
    assert [f["dest"] for f in doc["files"]] == [
        "/etc/rsyslog.d/60-opsbundles-openstack.conf",
        "/etc/rsyslog.d/61-opsbundles-forward.conf",
        "/etc/rsyslog.d/opsbundles-openstack.rulebase",
    ]
    out = tmp_path / "out/logging/rsyslog/etc/rsyslog.d"
    inputs = (out / "60-opsbundles-openstack.conf").read_text()
    # every *.log of the folder but uwsgi's and dnsmasq's, through globs; those two apart
    assert 'File="/var/log/keystone/*[!iq].log"' in inputs
    assert 'File="/var/log/keystone/*-uwsgi.log"' in inputs
    forward = (out / "61-opsbundles-forward.conf").read_text()
    assert 'target="logs.example.org"' in forward
    assert 'StreamDriver.CAFile="/etc/ssl/certs/ca-certificates.crt"' in forward


def _read(path):
    from opsbundle.values import read_values_file

    return read_values_file(path)


def test_sigterm_during_a_render_cleans_up(tmp_path):
    """A real `opsbundle render` process, killed with SIGTERM while it renders
    a template that takes long with the site's values."""
    root = build_repo(tmp_path, "good_minimal")
    bundle = root / "logging/minimal"
    manifest = bundle / "manifest.yaml"
    manifest.write_text(
        manifest.read_text()
        + "parameters:\n  rounds:\n    type: int\n    description: Loop rounds.\n"
        + "    default: 1\n"
    )
    text = manifest.read_text().replace(
        "- source: files/minimal.conf\n", "- source: files/slow.conf.j2\n  template: true\n"
    )
    manifest.write_text(text)
    (bundle / "files/slow.conf.j2").write_text(
        "{% for i in range(rounds) %}{% for j in range(rounds) %}{% endfor %}{% endfor %}ok\n"
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "opsbundle", "render", "logging/minimal", "--root", str(root),
         "-o", str(out), "--set", "rounds=100000"],
        env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.*")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.*")), "the render never staged"
    proc.terminate()
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert not list(tmp_path.glob(".out*")) and not out.exists()


@pytest.mark.parametrize("where", [".", "..", "logging", "logging/templated", "interfaces/x"])
def test_never_replaces_the_repository_or_its_bundles(root, tmp_path, where):
    """render swaps the whole output folder in: --force must never let it
    replace the repository, a folder holding it, or a folder of bundles."""
    before = snapshot(tmp_path)
    done = run_module(
        "render", "logging/minimal", "--root", str(root), "-o", where, "--force", cwd=root
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "holds the repository" in done.stderr or "inside the repository's" in done.stderr
    assert snapshot(tmp_path) == before


def test_site_path_folders_are_protected_too(root, tmp_path):
    site = tmp_path / "site-bundles"
    (site / "logging").mkdir(parents=True)
    done = run_module(
        "render",
        "logging/minimal",
        "--path",
        str(site),
        "-o",
        str(site / "logging/x"),
        "--force",
        cwd=root,
    )
    assert done.returncode == 1 and "inside the repository's logging/" in done.stderr

"""Site overlays and secrets by reference (values.unknown_globals with the
whole repository, render's --strict and --member, repo's --path /
OPSBUNDLES_PATH, secrets.py): one site values file serves every render, a
site keeps its own bundles, secrets never need --set."""

from __future__ import annotations

import json
import shutil
import stat

import pytest
from conftest import FIXTURES, build_repo, run_module

SECRET = "s3cret-from-the-vault"


@pytest.fixture
def root(tmp_path):
    return build_repo(tmp_path, "good_templated", "good_stack_demo")


def _site_values(tmp_path, text: str):
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


SITE = """\
# one file for every render of the site
instance_name: main
aggregator_host: logs.example.org        # only logging/collector declares it
logging/collector:
  log_layout: debian
  log_services: [nova]
logging/templated:
  upstreams: [backend-1.example.org]
"""


def _render(root, tmp_path, ref, values, *extra, **env):
    out = tmp_path / ref.replace("/", "-")
    argv = ["render", ref, "-o", str(out), "--values", str(values), *extra]
    return run_module(*argv, cwd=root, **env)


def test_one_values_file_serves_several_renders(root, tmp_path):
    values = _site_values(tmp_path, SITE + "api_token: {from_env: TEMPLATED_TOKEN}\n")
    for ref in ("logging/templated", "logging/collector"):
        done = _render(root, tmp_path, ref, values, TEMPLATED_TOKEN=SECRET)
        assert done.returncode == 0, done.stderr


def test_strict_makes_other_bundles_values_errors(root, tmp_path):
    done = _render(root, tmp_path, "logging/collector", _site_values(tmp_path, SITE), "--strict")
    assert done.returncode == 1
    assert "'logging/templated' is not a bundle being rendered" in done.stderr
    assert "no bundle being rendered has parameter 'instance_name'" in done.stderr


def test_a_key_no_bundle_knows_is_still_an_error(root, tmp_path):
    values = _site_values(tmp_path, SITE + "agregator_host: typo.example.org\nlogging/nope: {}\n")
    done = _render(root, tmp_path, "logging/collector", values)
    assert done.returncode == 1
    assert "no bundle of the repository or --path has parameter 'agregator_host'" in done.stderr
    assert "did you mean 'aggregator_host'" in done.stderr
    assert "'logging/nope' is not a bundle of the repository or --path" in done.stderr


def test_stack_members_can_be_chosen(root, tmp_path):
    values = _site_values(tmp_path, SITE)
    done = _render(root, tmp_path, "bundles/stack-demo", values, "--member", "minimal")
    assert done.returncode == 0, done.stderr
    index = json.loads((tmp_path / "bundles-stack-demo/index.json").read_text())
    assert [b["ref"] for b in index["bundles"]] == ["logging/minimal"]
    done = _render(root, tmp_path, "bundles/stack-demo", values, "--member", "nagios", "--force")
    assert done.returncode == 1 and "has no member nagios" in done.stderr


def test_site_bundles_from_path_and_environment(root, tmp_path):
    site = tmp_path / "site-bundles"
    shutil.copytree(FIXTURES / "good_minimal", site / "logging/minimal-site")
    manifest = site / "logging/minimal-site/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("name: minimal\n", "name: minimal-site\n"))
    done = run_module("list", "--path", str(site), cwd=root)
    assert done.returncode == 0 and "logging/minimal-site" in done.stdout
    done = run_module(
        "validate", "--no-native", "logging/minimal-site", cwd=root, OPSBUNDLES_PATH=str(site)
    )
    assert done.returncode == 0, done.stdout
    # the same checks: a broken site bundle fails like one of ours
    manifest.write_text(manifest.read_text().replace("version: 1.0.0", "version: one"))
    done = run_module("validate", "--no-native", "--path", str(site), "minimal-site", cwd=root)
    assert done.returncode == 1 and "logging/minimal-site/manifest.yaml" in done.stdout
    # a site bundle may not shadow one of ours
    shutil.copytree(FIXTURES / "good_minimal", site / "logging/minimal")
    done = run_module("list", "--path", str(site), cwd=root)
    assert done.returncode == 2 and "logging/minimal is in both" in done.stderr


def _render_templated(root, tmp_path, *extra, **env):
    values = _site_values(tmp_path, "instance_name: main\nupstreams: [b1.example.org]\n")
    done = _render(root, tmp_path, "logging/templated", values, *extra, **env)
    return done, tmp_path / "logging-templated"


def test_secret_from_a_private_file_lands_in_a_private_file(root, tmp_path):
    secret = tmp_path / "token"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"api_token: {{from_file: {secret}}}\n")
    secrets.chmod(0o600)
    done, out = _render_templated(root, tmp_path, "--secrets-from", str(secrets))
    assert done.returncode == 0, done.stderr
    index = json.loads((out / "index.json").read_text())
    (held,) = [f for f in index["files"] if f["secrets"] == ["api_token"]]
    path = out / held["source"]
    assert f"token {SECRET}\n" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(out.stat().st_mode) == 0o700  # the whole render is the user's
    assert SECRET not in (out / "index.json").read_text()


def test_secrets_that_others_can_read_are_refused(root, tmp_path):
    secret = tmp_path / "token"
    secret.write_text(SECRET)
    secret.chmod(0o644)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"api_token: {{from_file: {secret}}}\n")
    secrets.chmod(0o644)
    done, out = _render_templated(root, tmp_path, "--secrets-from", str(secrets))
    assert done.returncode == 1 and "VAL006" in done.stderr and "chmod 600" in done.stderr
    secrets.chmod(0o600)
    done, out = _render_templated(root, tmp_path, "--secrets-from", str(secrets))
    assert (
        done.returncode == 1
        and "VAL006" in done.stderr
        and f"{secret} has mode 0644" in (done.stderr)
    )
    assert not out.exists()


def test_secret_references_are_for_secrets_only(root, tmp_path):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("api_token: x\nlisten_port: 8080\n")
    secrets.chmod(0o600)
    done, _ = _render_templated(root, tmp_path, "--secrets-from", str(secrets))
    assert done.returncode == 1 and "'listen_port' is not a secret parameter" in done.stderr
    done, _ = _render_templated(
        root,
        tmp_path,
        "--set",
        "instance_name={from_env: NAME}",
        "--set",
        "api_token=x",
        NAME="main",
    )
    assert done.returncode == 1 and "'instance_name' is not secret" in done.stderr
    done, _ = _render_templated(root, tmp_path, "--set", "api_token={from_env: UNSET_TOKEN_VAR}")
    assert done.returncode == 1 and "environment variable UNSET_TOKEN_VAR is not set" in done.stderr

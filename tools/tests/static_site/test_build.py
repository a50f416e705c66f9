"""`opsbundle site`: the pages it writes, all or nothing, and what it refuses.

The expected page set is computed from the project's loaders (repo.discover,
the interface registry, the catalog), never from the site's own code."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REAL_ROOT, build_repo, make_repo, run_module, snapshot, validate
from opsbundle import catalog, repo
from opsbundle.checks import Context
from opsbundle.site import build as site_build
from opsbundle.site import pages

SECRETS = ("hunter2-secret", "sentinel-secret-example-7f3a")


_BREAKS = {"br", "p", "li", "td", "th", "tr", "dd", "dt", "div", "pre", "caption", "table"}
_BREAKS |= {"ul", "ol", "section", "h1", "h2", "h3", "h4", "h5", "h6"}


class _Text(HTMLParser):
    """The text a reader sees (blocks and line breaks as spaces), and every
    tag with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in _BREAKS:
            self.text.append(" ")

    def handle_endtag(self, tag):
        if tag in _BREAKS:
            self.text.append(" ")

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> _Text:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def text(path: Path) -> str:
    return re.sub(r"\s+", " ", "".join(parse(path).text))


def expected_pages(root: Path) -> set[str]:
    ctx = Context.for_repo(root)
    pages_ = {"index.html", "coverage.html", "vocabulary.html", "interfaces.html", "formats.html"}
    pages_ |= {f"{top}.html" for top in {b.ref.split("/")[0] for b in repo.discover(root)}}
    pages_ |= {
        f"{top}.html"
        for top in (*repo.DOMAINS, repo.STACKS)
        if (root / top / "README.md").is_file()
    }
    if "log-fields/v1" in ctx.registry.interfaces:
        pages_.add("log-fields.html")
    pages_ |= {f"{b.ref}.html" for b in repo.discover(root)}
    pages_ |= {f"interfaces/{ref}.html" for ref in ctx.registry.interfaces}
    pages_ |= {f"interfaces/manifest/v{n}.html" for n in ctx.registry.formats}
    pages_ |= {f"checks/{cid}.html" for cid in catalog.checks(ctx.registry)}
    pages_ |= {f"services/{name}.html" for name in ctx.registry.services}
    return pages_


def written(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*.html")}


def test_every_page_of_the_real_repository(real_site):
    assert written(real_site) == expected_pages(REAL_ROOT)
    assert all((real_site / f).is_file() for f in ("site.css", "filter.js", "favicon.svg"))


def test_cli_says_how_many_pages(tmp_path):
    root = build_repo(tmp_path, "good_minimal", "good_templated")
    out = tmp_path / "out"
    done = run_module("site", "--root", str(root), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    n = len(expected_pages(root))
    assert done.stdout.strip() == (
        f"wrote {n} pages (2 bundles, {len(catalog.checks(Context.for_repo(root).registry))} "
        f"catalog checks) to {out}"
    )
    assert written(out) == expected_pages(root)


def test_two_builds_are_identical(tmp_path):
    root = build_repo(tmp_path, "good_templated", "good_stack_demo")
    site_build.build(root, tmp_path / "a")
    site_build.build(root, tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_links_and_assets_are_relative(real_site):
    """No absolute path or address of the build machine: the site works from
    any folder of any static host, and from disk."""
    for page in real_site.rglob("*.html"):
        for tag, attrs in parse(page).tags:
            for name in ("href", "src"):
                value = attrs.get(name)
                if value is None:
                    continue
                assert not value.startswith(("/", "file:")), (page, tag, value)
                if tag in ("link", "script"):
                    assert "://" not in value, (page, value)
        assert str(REAL_ROOT) not in page.read_text(encoding="utf-8"), page


def test_a_non_empty_folder_needs_force(tmp_path):
    root = build_repo(tmp_path, "good_minimal")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    done = run_module("site", "--root", str(root), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 1
    assert "is not empty; pass --force" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(out) == {"keep.txt": b"mine"}
    done = run_module("site", "--root", str(root), "-o", str(out), "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (out / "keep.txt").exists() and (out / "index.html").is_file()


def test_a_failed_build_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    root = build_repo(tmp_path, "good_minimal", "good_templated")
    out = tmp_path / "out"
    site_build.build(root, out)
    before = snapshot(out)
    real_page = pages.Writer.page
    calls = []

    def failing(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real_page(self, path, *args, **kwargs)

    monkeypatch.setattr(pages.Writer, "page", failing)
    with pytest.raises(OSError):
        site_build.build(root, out, force=True)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "repo"]  # no staging left


def test_outside_a_repository_is_a_usage_error(tmp_path):
    done = run_module("site", "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2
    assert "no opsbundles repository" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_broken_manifest_still_gets_its_page(tmp_path):
    """The catalog documents the repository as it is: a manifest that
    validate refuses (wrong types everywhere, or unparsable) is shown, not a
    crash."""
    root = make_repo(tmp_path)
    wrong = root / "logging" / "wrong-types"
    (wrong / "files").mkdir(parents=True)
    (wrong / "manifest.yaml").write_text(
        "format_version: 1\nname: [wrong]\ndomain: 7\nsummary: {a: b}\nversion: 1.0\n"
        "maintainers: nobody\ntool: {name: [x], versions: 3, packages: {debian: 5}, reload: 1}\n"
        "services: nova\nimplements: [log-fields/v1]\nparameters: {p: 3, q: {type: [str],"
        " secret: yes, default: leaked-default}}\nfiles: [3, {source: 4, dest: [x], mode: true,"
        " roles: all}]\ndeprecated: soon\n",
        encoding="utf-8",
    )
    (wrong / "changelog.yaml").write_text("releases: 3\n", encoding="utf-8")
    broken = root / "logging" / "unparsable"
    broken.mkdir()
    (broken / "manifest.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    (root / "logging" / "no-manifest").mkdir()
    out = tmp_path / "out"
    summary = site_build.build(root, out)
    assert {"logging/wrong-types.html", "logging/unparsable.html"} <= set(summary.pages)
    assert "logging/no-manifest.html" in summary.pages
    page = (out / "logging" / "wrong-types.html").read_text(encoding="utf-8")
    assert "leaked-default" not in page
    assert "cannot be read" in text(out / "logging" / "unparsable.html")


def test_secrets_never_reach_a_page(tmp_path):
    """A secret's default, example or stack preset (all wrong, and reported by
    validate) is still never printed."""
    root = build_repo(tmp_path, "bad_secret_default", "bad_stack_secret_value", "good_site_hostile")
    out = tmp_path / "out"
    site_build.build(root, out)
    pages_ = list(out.rglob("*.html"))
    assert pages_
    for page in pages_:
        body = page.read_text(encoding="utf-8")
        for secret in SECRETS:
            assert secret not in body, (page, secret)
    # the secret parameters themselves are listed, marked secret
    assert "api_token" in text(out / "logging" / "secret-default.html")
    assert "never shown (secret)" in text(out / "bundles" / "stack-secret-value.html")


def test_the_hostile_fixture_is_a_good_bundle(tmp_path):
    """Markup in every text field is not a finding: the catalog must cope."""
    root = build_repo(tmp_path, "good_site_hostile")
    assert [f.as_text() for f in validate(root).findings] == []


def test_no_markup_from_the_repository_reaches_a_page(tmp_path):
    root = build_repo(tmp_path, "good_site_hostile", "good_minimal")
    out = tmp_path / "out"
    site_build.build(root, out)
    for page in out.rglob("*.html"):
        tags = parse(page).tags
        scripts = [a.get("src") for t, a in tags if t == "script"]
        assert all(s and s.endswith("filter.js") for s in scripts), (page, scripts)
        for tag, attrs in tags:
            assert tag not in ("img", "iframe", "em", "b", "i"), (page, tag)
            assert not any(k.startswith("on") for k in attrs), (page, tag, attrs)
            for name in ("href", "src"):
                assert not (attrs.get(name) or "").startswith(("javascript:", "data:")), attrs
    readme = text(out / "logging" / "site-hostile.html")
    assert "<script>window.pwned = 12</script>" in readme  # shown as text
    # the README's link to a sibling bundle points at its page
    hrefs = [a.get("href") for t, a in parse(out / "logging" / "site-hostile.html").tags]
    assert "minimal.html" in hrefs


DEPLOY_MANIFEST = """format_version: 1
name: deployable
domain: monitoring
summary: A bundle whose files carry render-index/v1 deployment data
license: Apache-2.0
maintainers: [{name: Test Maintainers}]
version: 1.0.0
tool: {name: demo, versions: ['>=1'], reload: {service: demo, action: reload}}
services: [nova]
directories: [{path: /etc/demo/conf.d, mode: '0750', group: demo}]
files:
- {source: files/a.conf, dest: /etc/demo/conf.d/a.conf, mode: '0644', roles: [all],
   validate: demo-check,
   actions: [{service: demo-agent, action: restart}, {apply: demo-load}],
   edits: [{file: /etc/default/demo, kind: line, match: ^ARGS=, line: ARGS=--conf.d}]}
- {source: files/a.conf, dest: /etc/demo/b.conf, mode: '0644', roles: [controller]}
"""
COMMANDS = """render_commands:
  validate:
    demo-check: {command: demo --check %s}
  apply:
    demo-load: {command: 'demo load
      -f %s'}
"""


def test_files_show_their_deployment_data(tmp_path):
    """Per-file validate, actions (else the tool's reload) and edits, with
    the reviewed command each name stands for, and the owned folders."""
    root = make_repo(tmp_path)
    bundle = root / "monitoring" / "deployable"
    (bundle / "files").mkdir(parents=True)
    (bundle / "files" / "a.conf").write_text("x\n", encoding="utf-8")
    (bundle / "manifest.yaml").write_text(DEPLOY_MANIFEST, encoding="utf-8")
    words = root / "interfaces" / "render-index" / "v1"
    words.mkdir(parents=True, exist_ok=True)
    if not (words / "interface.yaml").exists():
        (words / "interface.yaml").write_text(
            "name: render-index\nversion: 1\nstatus: stable\nsummary: index.json\n",
            encoding="utf-8",
        )
    (words / "commands.yaml").write_text(COMMANDS, encoding="utf-8")
    out = tmp_path / "out"
    site_build.build(root, out)
    page = text(out / "monitoring" / "deployable.html")
    assert (
        "validate: demo-check: demo --check %s after a change: restart demo-agent "
        "after a change: apply demo-load: demo load -f %s edit: line in /etc/default/demo: "
        "ARGS=--conf.d" in page
    )
    assert (
        "/etc/demo/b.conf files/a.conf 0644 root:root controller none after a change: "
        "reload demo" in page
    )
    assert "/etc/demo/conf.d 0750 root:demo" in page


def test_deprecation_is_shown_where_a_reader_chooses(tmp_path):
    """A deprecated bundle says so, since when, why and what replaces it, on
    its page and in the index; a deprecated interface names its successor."""
    root = build_repo(tmp_path, "bad_deprecated", "good_minimal", "bad_deprecated_interface")
    out = tmp_path / "out"
    site_build.build(root, out)
    page = text(out / "logging" / "deprecated.html")
    assert "Deprecated since 1.0.0: Superseded by the minimal fixture. Use logging/minimal" in page
    hrefs = {a.get("href") for t, a in parse(out / "logging" / "deprecated.html").tags}
    assert "minimal.html" in hrefs
    index = text(out / "index.html")
    assert "deprecated since 1.0.0, use logging/minimal" in index
    iface = text(out / "interfaces" / "old-logs" / "v1.html")
    assert "Deprecated: use log-collection/v1 instead." in iface
    assert "Since 2025-01" in iface


@pytest.mark.parametrize("where", [".", "..", "logging/site", "interfaces/site"])
def test_never_replaces_the_repository(tmp_path, where):
    root = build_repo(tmp_path, "good_minimal")
    before = snapshot(tmp_path)
    done = run_module("site", "--root", str(root), "-o", where, "--force", cwd=root)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "holds the repository" in done.stderr or "inside the repository's" in done.stderr
    assert snapshot(tmp_path) == before

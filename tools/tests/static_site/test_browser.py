"""The catalog in a real browser: Debian's headless Chromium renders every
page, and the tests read the DOM it built.

The expectations come from the project's loaders and commands, never from
the site's code: bundles from repo.discover and bundle.py, checks from the
catalog, cells and gap reasons from `opsbundle coverage --format json`,
secret values from the values every implementation is rendered with.
Screenshots of the index, a bundle page and the coverage matrix, at 1440
and 375 px, are left in <site>/screenshots for CI to keep.
"""

from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REAL_ROOT, build_repo, run_module
from opsbundle import catalog, formats, inventory, repo
from opsbundle.bundle import load_bundle, load_changelog
from opsbundle.checks import Context
from opsbundle.site.build import build

from .browser import Browser

WIDTHS = (375, 1440)
SCREENSHOTS = "screenshots"

# Everything one page tells about itself, in one round trip to the browser.
PAGE_FACTS = """
const abs = (sel, attr) => Array.from(document.querySelectorAll(sel)).map(e => e[attr]);
const headings = Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'))
  .map(h => Number(h.tagName[1]));
return {
  title: document.title,
  lang: document.documentElement.lang,
  html: document.documentElement.outerHTML,
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  links: abs('a[href]', 'href'),
  assets: abs('link[href]', 'href').concat(abs('script[src]', 'src')),
  headings: headings,
  landmarks: ['header', 'nav', 'main', 'footer']
    .filter(t => document.querySelectorAll(t).length > 0),
  tables: Array.from(document.querySelectorAll('table:not(.readme table)')).map(t => ({
    id: t.id, caption: !!t.caption && t.caption.textContent.trim().length > 0,
    unscoped: t.querySelectorAll('th:not([scope])').length})),
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  pwned: typeof window.pwned,
};
"""


def crawl(browser, site: Path, width: int, only: str = "") -> dict[str, dict]:
    """Every page of `site` (whose HTML holds `only`), rendered at `width`:
    {relative path: facts}, with the console errors it logged and the
    requests it made."""
    out = {}
    browser.forget_logs()
    for page in sorted(site.rglob("*.html")):
        if only and only not in page.read_text(encoding="utf-8"):
            continue
        browser.open(page, width)
        facts = browser.js(PAGE_FACTS)
        facts["errors"] = browser.console_errors()
        facts["requests"] = browser.requests()
        out[page.relative_to(site).as_posix()] = facts
    return out


@pytest.fixture(scope="module")
def pages(browser, real_site):
    return crawl(browser, real_site, 375)


@pytest.fixture(scope="module")
def ctx():
    return Context.for_repo(REAL_ROOT)


def test_no_console_error_and_no_request_off_disk(pages):
    """Nothing is fetched from a network when a page is viewed: every
    request the browser made (page, stylesheet, script) is a local file."""
    assert {n: f["errors"] for n, f in pages.items() if f["errors"]} == {}
    requested = [u for f in pages.values() for u in f["requests"]]
    assert len(requested) >= 2 * len(pages)  # each page, its stylesheet, ...
    assert {urlsplit(u).scheme for u in requested} == {"file"}


def test_no_broken_internal_link(real_site, pages):
    broken = []
    for name, facts in pages.items():
        for href in facts["links"] + facts["assets"]:
            url = urlsplit(href)
            if url.scheme != "file":
                continue  # an external link a reader may follow; never loaded by the page
            target = Path(unquote(url.path))
            rel = (
                target.relative_to(real_site).as_posix()
                if target.is_relative_to(real_site)
                else None
            )
            if rel is None or not target.is_file():
                broken.append(f"{name}: {href} (no such file)")
            elif url.fragment and url.fragment not in pages.get(rel, {"ids": []})["ids"]:
                broken.append(f"{name}: {href} (no element #{url.fragment})")
    assert broken == []


def test_every_page_is_reachable_from_the_index(real_site, pages):
    """Bundles, interfaces, checks, services and the tables all link to one
    another: following links from the index reaches every page."""
    seen, todo = set(), ["index.html"]
    while todo:
        name = todo.pop()
        if name in seen or name not in pages:
            continue
        seen.add(name)
        for href in pages[name]["links"]:
            url = urlsplit(href)
            target = Path(unquote(url.path))
            if url.scheme == "file" and target.is_relative_to(real_site):
                todo.append(target.relative_to(real_site).as_posix())
    assert set(pages) - seen == set()


def test_pages_are_plain_and_accessible(pages):
    """Readable without CSS and JavaScript: landmarks, one h1, no skipped
    heading level, tables with captions and scoped header cells, a title
    that says which page it is."""
    problems = []
    titles = {}
    for name, f in pages.items():
        if f["lang"] != "en":
            problems.append(f"{name}: no lang")
        if f["landmarks"] != ["header", "nav", "main", "footer"]:
            problems.append(f"{name}: landmarks {f['landmarks']}")
        if f["headings"][:1] != [1] or f["headings"].count(1) != 1:
            problems.append(f"{name}: h1 {f['headings'][:3]}")
        for a, b in zip(f["headings"], f["headings"][1:], strict=False):
            if b > a + 1:
                problems.append(f"{name}: heading h{a} then h{b}")
        for t in f["tables"]:
            if not t["caption"]:
                problems.append(f"{name}: table #{t['id']} has no caption")
            if t["unscoped"]:
                problems.append(f"{name}: table #{t['id']} has {t['unscoped']} th without scope")
        titles.setdefault(f["title"], []).append(name)
    problems += [f"title {t!r} on {n}" for t, n in titles.items() if len(n) > 1]
    assert problems == []


def test_an_inline_script_would_not_run(browser, real_site):
    """Defence in depth: even markup that escaped escaping could not run,
    as every page allows only the site's own script file."""
    browser.open(real_site / "logging/rsyslog.html")
    ran = browser.js(
        "const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        "document.body.appendChild(s); return typeof window.injected;"
    )
    assert ran == "undefined"
    assert any("Content Security Policy" in e for e in browser.console_errors())


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(browser, real_site, pages, width):
    """Wide tables scroll inside their own box; the page itself never does."""
    if width == 375:
        wide = {n: f["overflow"] for n, f in pages.items() if f["overflow"] > 0}
    else:
        wide = {}
        for name in ("index.html", "coverage.html", "logging/rsyslog.html", "log-fields.html"):
            browser.open(real_site / name, width)
            over = browser.js(PAGE_FACTS)["overflow"]
            if over > 0:
                wide[name] = over
    assert wide == {}


def test_every_bundle_is_on_the_index(browser, real_site):
    browser.open(real_site / "index.html")
    shown = browser.js(
        "return Array.from(document.querySelectorAll('#bundles tbody tr'))"
        ".map(r => [r.dataset.bundle, r.querySelector('th a').getAttribute('href')])"
    )
    want = [b.ref for b in repo.discover(REAL_ROOT)]
    assert [ref for ref, _ in shown] == want
    assert [href for _, href in shown] == [f"{ref}.html" for ref in want]


def _services(ref: str) -> set[str]:
    b = load_bundle(REAL_ROOT, repo.select(REAL_ROOT, repo.discover(REAL_ROOT), [ref])[0])
    if not b.is_stack:
        return set(b.data.get("services") or [])
    return set().union(*(_services(m["bundle"]) for _, m in b.members()))


def test_the_index_filters_by_service(browser, real_site):
    browser.open(real_site / "index.html")
    select = browser.driver.find_element("id", "bundles-service")
    assert select.is_displayed()  # the script revealed the form
    from selenium.webdriver.support.ui import Select

    Select(select).select_by_value("swift")
    visible = browser.js(
        "return Array.from(document.querySelectorAll('#bundles tbody tr'))"
        ".filter(r => r.offsetParent !== null).map(r => r.dataset.bundle)"
    )
    want = [b.ref for b in repo.discover(REAL_ROOT) if "swift" in _services(b.ref)]
    assert visible == want and 0 < len(want) < len(repo.discover(REAL_ROOT))


@pytest.mark.parametrize("ref", [b.ref for b in repo.discover(REAL_ROOT)])
def test_a_bundle_page_shows_its_manifest(browser, real_site, ref):
    b = load_bundle(REAL_ROOT, repo.select(REAL_ROOT, repo.discover(REAL_ROOT), [ref])[0])
    browser.open(real_site / f"{ref}.html")
    page = browser.js(
        "const rows = sel => Array.from(document.querySelectorAll(sel));"
        "return {h1: document.querySelector('h1').textContent,"
        " params: rows('#parameter-table tbody th').map(t => t.textContent.trim()),"
        " formats: rows('#parameter-table tbody tr').map(r => r.cells[2].textContent.trim()),"
        " dests: rows('#file-table tbody th code').map(c => c.textContent),"
        " releases: rows('#changelog ~ h3, section[aria-labelledby=changelog] h3')"
        "   .map(h => h.id),"
        " readme: !!document.querySelector('.readme'),"
        " members: rows('#member-table tbody th').map(t => t.textContent.trim())}"
    )
    assert page["h1"].startswith(ref) and b.version in page["h1"]
    assert page["params"] == list(b.parameters())
    for spec, cell in zip(b.parameters().values(), page["formats"], strict=True):
        fmt = spec.get("format")
        assert cell.startswith(fmt) if fmt else cell == "not declared"
        if fmt in formats.FORMATS:
            assert formats.describe(spec) in " ".join(cell.split())
    assert page["dests"] == [f["dest"] for _, f in b.files()]
    doc, _ = load_changelog(b)
    assert page["releases"] == [f"release-{r['version']}" for r in doc.data["releases"]]
    assert page["readme"] == (b.path / "README.md").is_file()
    assert page["members"] == [m["bundle"] for _, m in b.members()]


@pytest.fixture(scope="module")
def coverage_json():
    done = run_module("coverage", "--format", "json", cwd=REAL_ROOT)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


MATRIX = """
const table = document.getElementById('matrix');
const tools = Array.from(table.querySelectorAll('thead th')).slice(1)
  .map(t => t.textContent.trim());
const rows = Array.from(table.querySelectorAll('tbody tr[data-check]')).map(r => ({
  check: r.dataset.check, service: r.dataset.services,
  visible: r.offsetParent !== null,
  cells: Array.from(r.querySelectorAll('td')).map(td => {
    const a = td.querySelector('a');
    const note = a ? document.getElementById(a.hash.slice(1)) : null;
    return {text: td.textContent.replace(/, see note/, '').trim(),
            state: a ? a.firstChild.textContent.trim() : td.textContent.trim(),
            reason: note ? note.textContent.trim() : null,
            noteVisible: note ? note.offsetParent !== null : null};
  })}));
return {tools: tools, rows: rows};
"""


def test_the_matrix_has_every_check_and_every_reason(browser, real_site, ctx, coverage_json):
    browser.open(real_site / "coverage.html")
    m = browser.js(MATRIX)
    tools = sorted(coverage_json)
    assert m["tools"] == [t.split("/")[1] for t in tools]
    shown = [r["check"] for r in m["rows"]]
    assert sorted(shown) == sorted(catalog.checks(ctx.registry))  # each once, grouped by service
    gaps = 0
    for row in m["rows"]:
        assert row["service"] == catalog.checks(ctx.registry)[row["check"]]["service"]
        for tool, cell in zip(tools, row["cells"], strict=True):
            want = coverage_json[tool][row["check"]]
            assert cell["state"] == want["cell"], (row["check"], tool)
            if want["cell"] != "yes":
                gaps += 1
                assert cell["reason"] == want["reason"], (row["check"], tool)
                assert cell["noteVisible"], (row["check"], tool)
    assert gaps == sum(c["cell"] != "yes" for t in coverage_json.values() for c in t.values())


def test_the_matrix_filters_by_service(browser, real_site, ctx):
    from selenium.webdriver.support.ui import Select

    browser.open(real_site / "coverage.html")
    checks = catalog.checks(ctx.registry)
    Select(browser.driver.find_element("id", "matrix-service")).select_by_value("nova")
    rows = browser.js(MATRIX)["rows"]
    visible = [r["check"] for r in rows if r["visible"]]
    assert visible == [c for c, e in checks.items() if e["service"] == "nova"]
    status = browser.driver.find_element("css selector", "form.filter output").text
    assert status == f"{len(visible)} rows shown"
    Select(browser.driver.find_element("id", "matrix-service")).select_by_value("")
    assert all(r["visible"] for r in browser.js(MATRIX)["rows"])


def test_without_javascript_every_row_shows(real_site, ctx):
    """Scripts off: the filter form stays hidden (it would do nothing) and
    the whole matrix and index show."""
    plain = Browser(javascript=False)
    try:
        plain.open(real_site / "coverage.html")
        rows = plain.driver.find_elements("css selector", "#matrix tbody tr[data-check]")
        assert len(rows) == len(catalog.checks(ctx.registry))
        assert all(r.is_displayed() for r in rows)
        form = plain.driver.find_element("css selector", "form.filter")
        assert not form.is_displayed()
        assert form.find_element("css selector", "output").get_attribute("textContent") == ""
        plain.open(real_site / "index.html")
        rows = plain.driver.find_elements("css selector", "#bundles tbody tr")
        assert len(rows) == len(repo.discover(REAL_ROOT)) and all(r.is_displayed() for r in rows)
    finally:
        plain.close()


def _secret_values(ctx) -> set[str]:
    """Every value a secret parameter gets when the implementations are
    rendered from the example inventory and their test values."""
    found = set()
    for ref in ctx.bundle_dirs:
        bundle = ctx.bundle(ref)
        secrets = [n for n, s in bundle.parameters().items() if s.get("secret")]
        if not secrets:
            continue
        try:
            values = inventory.values(ctx, bundle)
        except inventory.InventoryError:
            continue
        found |= {str(values[n]) for n in secrets if values.get(n) not in (None, "")}
    return found


def test_no_secret_value_in_any_page(pages, ctx):
    secrets = _secret_values(ctx)
    assert secrets, "the example inventory holds no secret to look for"
    leaks = [(n, s) for n, f in pages.items() for s in secrets if s in f["html"]]
    assert leaks == []


def test_formats_page_shows_every_format_and_language(browser, real_site):
    from opsbundle import escape

    browser.open(real_site / "formats.html")
    page = browser.js(
        "return {formats: Array.from(document.querySelectorAll('#format-table tbody tr'))"
        ".map(r => r.dataset.format),"
        " languages: Array.from(document.querySelectorAll('#language-table tbody tr'))"
        ".map(r => r.dataset.language)}"
    )
    assert page["formats"] == list(formats.FORMATS)
    assert page["languages"] == escape.known()


def test_log_fields_show_every_field_and_kind(browser, real_site, ctx):
    """Every field of fields.yaml, every record kind of the corpus, and for
    each kind the first event the suite's oracle expects from its newest log."""
    from opsbundle.conformance.log_fields import samples
    from opsbundle.conformance.oracle import expected

    browser.open(real_site / "log-fields.html")
    page = browser.js(
        "return {fields: Array.from(document.querySelectorAll('#field-table tbody tr'))"
        ".map(r => r.dataset.field),"
        " kinds: Array.from(document.querySelectorAll('article.kind h3')).map(h => h.textContent),"
        " examples: Array.from(document.querySelectorAll('article.kind > pre code'))"
        ".map(c => c.textContent)}"
    )
    assert page["fields"] == list(ctx.registry.interfaces["log-fields/v1"].data["fields"])
    kinds = list(dict.fromkeys(kind for kind, _ in samples(REAL_ROOT)))
    assert page["kinds"] == kinds
    newest = {}
    for kind, path in samples(REAL_ROOT):  # oldest first: the last one wins
        events = expected(path)
        if events:
            newest[kind] = events[0]
    for kind, shown in zip(kinds, page["examples"], strict=True):
        got, want = json.loads(shown), newest[kind]
        assert got.keys() == want.keys(), kind
        for key, value in want.items():
            if isinstance(value, str) and len(value) > 300:  # shortened on the page
                assert got[key].startswith(value[:300]) and f"({len(value)} characters)" in got[key]
            else:
                assert got[key] == value, (kind, key)


def test_hostile_text_never_runs(browser, tmp_path):
    site = tmp_path / "hostile"
    build(build_repo(tmp_path, "good_site_hostile", "good_minimal"), site)
    facts = crawl(browser, site, 1440, only="site-hostile")
    assert {"index.html", "logging/site-hostile.html", "services/nova.html"} <= set(facts)
    assert {n: f["pwned"] for n, f in facts.items() if f["pwned"] != "undefined"} == {}
    assert {n: f["errors"] for n, f in facts.items() if f["errors"]} == {}
    assert {u for f in facts.values() for u in f["requests"] if not u.startswith("file:")} == set()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request log on the test's stderr
        pass


def test_served_from_a_subfolder_of_a_static_host(browser, real_site):
    """What PUBLISHING.md promises: the folder copied under any path of a
    plain static server works as it does from disk."""
    handler = functools.partial(_Quiet, directory=str(real_site.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # a port from the kernel
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/{real_site.name}/"
        browser.forget_logs()
        browser.driver.get(base + "coverage.html")
        styled = browser.js(
            "return getComputedStyle(document.querySelector('td.yes')).backgroundColor"
        )
        assert styled not in ("", "rgba(0, 0, 0, 0)", "transparent")  # site.css applied
        assert browser.driver.find_element("id", "matrix-service").is_displayed()  # filter.js ran
        browser.driver.find_element("css selector", "#matrix thead th a").click()
        assert browser.driver.current_url.startswith(base + "monitoring/")
        assert browser.driver.find_element("tag name", "h1").text.startswith("monitoring/")
        assert browser.console_errors() == []
        assert {u.split("/")[2] for u in browser.requests()} == {f"127.0.0.1:{server.server_port}"}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots(browser, real_site, width):
    """The three pages CI keeps a picture of, whole, at both widths."""
    shots = real_site / SCREENSHOTS
    for name, page in (
        ("index", "index.html"),
        ("bundle-logging-rsyslog", "logging/rsyslog.html"),
        ("coverage", "coverage.html"),
    ):
        browser.open(real_site / page, width)
        png = browser.screenshot(shots / f"{name}-{width}.png")
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == width  # the PNG's own width field

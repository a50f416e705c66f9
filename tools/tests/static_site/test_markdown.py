"""site/markdown.py: a README renders as HTML that cannot run anything,
loads nothing, and links only to pages the site has."""

from __future__ import annotations

import pytest
from opsbundle.site import markdown

HOSTILE = """# Title

<script>alert(1)</script>

<img src=x onerror="window.pwned=1">

<a href="javascript:alert(1)">raw link</a>

[click](javascript:alert(1)) [vb](vbscript:msgbox(1)) [f](file:///etc/passwd)
[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

![tracker](https://example.org/pixel.png) ![local](docs/diagram.png)

`<b>code</b>` and <span onclick="x()">inline html</span>
"""


def test_raw_html_is_text_never_markup():
    html = markdown.render(HOSTILE)
    for tag in ("<script", "<img", "<span", '<a href="javascript', "<b>"):
        assert tag not in html, tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;code&lt;/b&gt;" in html


def test_dangerous_schemes_are_not_links():
    html = markdown.render(HOSTILE)
    for scheme in ("javascript:", "vbscript:", "file:", "data:"):
        assert f'href="{scheme}' not in html, scheme
    assert "click" in html  # the text stays


def test_images_are_never_loaded():
    html = markdown.render(HOSTILE)
    assert "<img" not in html
    assert '<a href="https://example.org/pixel.png">image: tracker</a>' in html
    assert "[image: local]" in html


def test_headings_move_below_the_page_heading():
    assert markdown.render("# A\n\n## B", shift=2) == "<h3>A</h3>\n<h4>B</h4>\n"
    assert "<h6>" in markdown.render("###### deep", shift=2)


def test_relative_links_point_at_site_pages_or_become_text():
    pages = {"logging/rsyslog": "logging/rsyslog.html", "interfaces/vocabulary.yaml": "v.html"}
    html = markdown.render(
        "[r](../rsyslog) [v](../../interfaces/vocabulary.yaml) [f](files/x.j2) "
        "[up](../../../etc/passwd) [top](#usage) [ext](https://docs.openstack.org/)",
        base="logging/fluentd",
        resolve=pages.get,
        relative=lambda page: "../" + page,
    )
    assert '<a href="../logging/rsyslog.html">r</a>' in html
    assert '<a href="../v.html">v</a>' in html
    assert '<a href="https://docs.openstack.org/">ext</a>' in html
    for text in ("f", "up", "top"):
        assert f">{text}</a>" not in html and f" {text} " in f" {html} ".replace("<p>", " ")


def test_tables_scroll_on_their_own():
    html = markdown.render("|a|b|\n|-|-|\n|1|2|\n")
    assert html.startswith('<div class="scroll" role="region" aria-label="Table" tabindex="0">')
    assert html.rstrip().endswith("</table>\n</div>".strip())


@pytest.mark.parametrize("text", ["<script>x</script>", "[a](javascript:x)", "`<i>`", "*<u>*"])
def test_inline_is_escaped_too(text):
    html = markdown.inline(text)
    assert "<script" not in html and "href=" not in html
    assert "<i>" not in html and "<u>" not in html

"""READMEs and descriptions to HTML, with nothing in them able to run.

A README is written by a contributor and shown to every operator, so it is
rendered by markdown-it-py with raw HTML off (a `<script>` is shown as text)
and markdown-it's own link check (no `javascript:`, `vbscript:`, `file:` or
`data:` link). On top of that:
- images are never loaded (the site needs no network when viewed): an image
  becomes a link to it, or its alt text when it is a repository file;
- a relative link is resolved against the README's place in the repository
  and points at the catalog page for that file, or is shown as text naming
  the file, so the site has no broken internal link;
- headings are moved below the page's own, so a README's `#` is not a
  second `<h1>`; tables scroll sideways on their own on a narrow screen.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# resolve(repository path) -> site page path, or None when the site has none
Resolver = Callable[[str], "str | None"]


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": False, "linkify": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    md.add_render_rule("image", _image)
    md.add_render_rule("heading_open", _heading)
    md.add_render_rule("heading_close", _heading)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


def _external(href: str) -> bool:
    return href.startswith(("http://", "https://", "mailto:"))


def _target(href: str, env: dict) -> str | None:
    """Where a link of the README should point in the site, or None."""
    if _external(href):
        return href
    path = href.partition("#")[0].partition("?")[0]
    if not path or href.startswith("/") or ":" in path:
        return None  # in-page anchors (READMEs get no heading ids), absolute, other schemes
    repo_path = posixpath.normpath(posixpath.join(env["base"], path))
    if repo_path.startswith("../"):
        return None
    page = env["resolve"](repo_path)
    return env["relative"](page) if page else None


def _link_open(self, tokens, idx, options, env):
    token = tokens[idx]
    href = _target(token.attrGet("href") or "", env)
    env["links"].append(href)
    if href is None:
        return ""
    token.attrSet("href", href)
    return self.renderToken(tokens, idx, options, env)


def _link_close(self, tokens, idx, options, env):
    href = env["links"].pop() if env["links"] else None
    if href is None:
        return ""
    return self.renderToken(tokens, idx, options, env)


def _image(self, tokens, idx, options, env):
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = token.attrGet("src") or ""
    label = escape(alt or src)
    if _external(src):
        return f'<a href="{escape(src)}">image: {label}</a>'
    return f"[image: {label}]"


def _heading(self, tokens, idx, options, env):
    token = tokens[idx]
    level = min(6, int(token.tag[1]) + env["shift"])
    token.tag = f"h{level}"
    return self.renderToken(tokens, idx, options, env)


def _table_open(self, tokens, idx, options, env):
    # a wide table scrolls by itself, so the page never scrolls sideways
    wrapper = '<div class="scroll" role="region" aria-label="Table" tabindex="0">\n'
    return wrapper + self.renderToken(tokens, idx, options, env)


def _table_close(self, tokens, idx, options, env):
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def render(
    text: str,
    *,
    base: str = "",
    resolve: Resolver | None = None,
    relative: Callable[[str], str] | None = None,
    shift: int = 2,
) -> Markup:
    """Block markdown (a README) as HTML safe to place in a page.

    `base`: the README's folder in the repository; `resolve` maps a repository
    path to a site page; `relative` turns a site page into an href from the
    page being written; `shift`: how many levels headings move down."""
    env = {
        "base": base,
        "resolve": resolve or (lambda _path: None),
        "relative": relative or (lambda page: page),
        "shift": shift,
        "links": [],
    }
    return Markup(_parser().render(text, env))


def inline(text: str) -> Markup:
    """One line of prose (a changelog entry, a description): `code`, emphasis
    and links, no block structure, nothing that can run."""
    env = {
        "base": "",
        "resolve": lambda _path: None,
        "relative": lambda page: page,
        "shift": 0,
        "links": [],
    }
    return Markup(_parser().renderInline(str(text), env))

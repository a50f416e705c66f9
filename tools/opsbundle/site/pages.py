"""Pages from Jinja2 templates, autoescaped, with links relative to each page.

The templates are ours and trusted; what they print is not: every value from
the repository is escaped by autoescape, and the only markup that reaches a
page unescaped is markdown.py's output. StrictUndefined makes a template that
names a missing value fail the build instead of printing an empty cell.
"""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from .. import __version__, catalog
from . import logfields, markdown, reference, urls
from .bundles import shown
from .results import tally

STATIC = Path(__file__).parent / "static"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("opsbundle.site", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["shown"] = shown
    env.filters["inline"] = markdown.inline
    env.globals.update(
        urls=urls,
        version=__version__,
        tally=tally,
        SERVICE_CHECKS=catalog.INTERFACE,
        LOG_FIELDS=logfields.INTERFACE,
        TEXT=reference.TEXT,
        TEXT_ONLY=reference.TEXT_ONLY,
    )
    return env


class Writer:
    """Writes pages under `out` (a staging folder) and remembers them."""

    def __init__(self, out: Path, catalog):
        self.out = out
        self.catalog = catalog
        self.env = environment()
        self.pages: list[str] = []

    def page(self, path: str, template: str, title: str, **context) -> None:
        def link(there: str) -> str:
            return urls.relative(path, there)

        def readme(text: str, base: str, shift: int = 1):
            return markdown.render(
                text, base=base, resolve=self.catalog.page_for, relative=link, shift=shift
            )

        html = self.env.get_template(template).render(
            here=path, link=link, readme=readme, cat=self.catalog, title=title, **context
        )
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        self.pages.append(path)

    def static(self) -> None:
        for name in (urls.CSS, urls.SCRIPT, urls.ICON):
            (self.out / name).write_bytes((STATIC / name).read_bytes())
            os.chmod(self.out / name, 0o644)

"""`opsbundle site -o DIR`: the whole catalog as static pages.

All or nothing, like `opsbundle render` (output.py): the pages are staged
beside DIR and swapped in once every page is written, so a failure leaves DIR
as it was; a non-empty DIR is replaced only with force. The output is a pure
function of the repository (and the results file): no dates, no absolute
paths, so two builds of one commit are equal byte for byte and a published
site changes only when the catalog does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import repo
from ..checks import Context
from ..output import OutputError, staged_output
from . import content, reference, urls
from .pages import Writer
from .results import ResultsError, read


class SiteError(Exception):
    """Nothing was written; the message says why."""


@dataclass
class Summary:
    out: Path
    pages: list[str]
    bundles: int
    checks: int
    problems: list[str]


def _write(writer: Writer, cat: content.Catalog) -> None:
    writer.page(urls.INDEX, "index.html", "Bundles")
    for top, bundles in cat.folders():
        writer.page(urls.folder(top), "folder.html", f"{top}/", top=top, bundles=bundles)
    writer.page(urls.INTERFACES, "interfaces.html", "Interfaces")
    for b in cat.bundles:
        writer.page(urls.bundle(b.ref), "bundle.html", b.ref, b=b)
    for c in cat.contracts:
        writer.page(urls.interface(c.ref), "interface.html", c.ref, c=c)
    writer.page(urls.COVERAGE, "coverage.html", "Service checks coverage")
    for cid in cat.matrix.rows():
        writer.page(urls.check(cid), "check.html", cid, cid=cid)
    if cat.logfields is not None:
        writer.page(urls.LOG_FIELDS, "log-fields.html", "Log fields")
    writer.page(urls.VOCABULARY, "vocabulary.html", "Vocabulary")
    writer.page(
        urls.FORMATS,
        "formats.html",
        "Parameter formats and config languages",
        formats=reference.format_rows(),
        languages=reference.languages(),
    )
    for name in cat.services:
        writer.page(urls.service(name), "service.html", name, service=name)
    if cat.results is not None:
        writer.page(urls.RESULTS, "results.html", "Conformance results")
    writer.static()


def _check_place(root: Path, out: Path) -> None:
    """The site replaces DIR as a whole: never the repository, nor a folder
    the next build would read as a bundle or an interface."""
    unsafe = repo.unsafe_output(root, out)
    if unsafe:
        raise SiteError(unsafe.replace("(e.g. rendered/)", "(e.g. build/site)"))


def build(root: Path, out: Path, results: Path | None = None, force: bool = False) -> Summary:
    _check_place(root, out.resolve())
    ctx = Context.for_repo(root)
    try:
        found = read(ctx, results) if results is not None else None
    except ResultsError as exc:
        raise SiteError(str(exc)) from None
    cat = content.gather(root, found, ctx)
    try:
        with staged_output(out.absolute(), force) as staging:
            staging.chmod(0o755)
            writer = Writer(staging, cat)
            _write(writer, cat)
    except OutputError as exc:
        raise SiteError(str(exc)) from None
    return Summary(
        out=out.absolute(),
        pages=writer.pages,
        bundles=len(cat.bundles),
        checks=len(cat.matrix.checks),
        problems=cat.problems + cat.matrix.problems,
    )

"""Where each page of the catalog lives, in one place.

Every link in the site is relative (the site is opened from disk or served
from any sub-folder of a static host), so a page asks `relative(here, there)`
and never builds a path of its own. The layout mirrors the repository:
`logging/rsyslog.html` is the page of `logging/rsyslog/`.
"""

from __future__ import annotations

import posixpath

INDEX = "index.html"
INTERFACES = "interfaces.html"  # what an interface is, and every one of them
COVERAGE = "coverage.html"
LOG_FIELDS = "log-fields.html"
VOCABULARY = "vocabulary.html"
FORMATS = "formats.html"  # parameter formats and config languages
RESULTS = "results.html"
CSS = "site.css"
SCRIPT = "filter.js"
ICON = "favicon.svg"
SCREENSHOTS = "screenshots"  # what the browser tests leave beside the pages


def folder(top: str) -> str:
    """A top-level folder of bundles (logging/, bundles/): logging.html."""
    return f"{top}.html"


def bundle(ref: str) -> str:
    return f"{ref}.html"


def interface(ref: str) -> str:
    """'log-fields/v1' -> interfaces/log-fields/v1.html (manifest/v1 too)."""
    return f"interfaces/{ref}.html"


def check(check_id: str) -> str:
    return f"checks/{check_id}.html"


def service(name: str) -> str:
    return f"services/{name}.html"


def anchor(kind: str, name: str) -> str:
    """A fragment id that is valid HTML and unique per kind: role-compute."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in str(name))
    return f"{kind}-{safe}"


def role(name: str) -> str:
    return f"{VOCABULARY}#{anchor('role', name)}"


def value_format(name: str) -> str:
    return f"{FORMATS}#{anchor('format', name)}"


def language(name: str) -> str:
    return f"{FORMATS}#{anchor('language', name)}"


def record_kind(name: str) -> str:
    return f"{LOG_FIELDS}#{anchor('kind', name)}"


def relative(here: str, there: str) -> str:
    """The href from page `here` to `there` (which may carry a #fragment)."""
    path, hash_, fragment = there.partition("#")
    if path == here:
        return f"#{fragment}" if hash_ else posixpath.basename(here)
    rel = posixpath.relpath(path, posixpath.dirname(here) or ".")
    return rel + (hash_ + fragment if hash_ else "")

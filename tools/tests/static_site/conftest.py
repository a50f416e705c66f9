"""Fixtures of the site tests: the real repository's site, built once per
session with the command itself, and one headless Chromium.

`OPSBUNDLE_SITE_DIR` (set by `nox -s site`) says where the site is built, so
its pages and the screenshots the browser tests take stay there as CI
artifacts; without it the site goes to a temporary folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from conftest import REAL_ROOT, run_module  # noqa: E402

from .browser import Browser  # noqa: E402


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Path:
    """The site of this repository, written by `opsbundle site`."""
    given = os.environ.get("OPSBUNDLE_SITE_DIR")
    out = Path(given).resolve() if given else tmp_path_factory.mktemp("site") / "site"
    done = run_module("site", "-o", str(out), "--force", cwd=REAL_ROOT)
    assert done.returncode == 0, done.stderr
    print(done.stdout.strip())
    return out


@pytest.fixture(scope="session")
def browser():
    b = Browser()
    try:
        yield b
    finally:
        b.close()

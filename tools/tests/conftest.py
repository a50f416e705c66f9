"""Shared fixtures: a scratch copy of this repository that a test may break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """interfaces/ and logging/ of this checkout, in a folder of their own."""
    root = tmp_path / "repo"
    root.mkdir()
    for top in ("interfaces", "logging"):
        shutil.copytree(REPO / top, root / top)
    return root

"""Shared by the escape tests: every one-line hostile value through a filter
and back out of the real engine (injection/readback.py says which are real)."""

from __future__ import annotations

from pathlib import Path

import pytest
from opsbundle.escape import EscapeError, filters
from opsbundle.injection import corpus, readback


def check_roundtrip(name: str, tmp_path: Path) -> list[str]:
    """Each value the filter takes comes back from the engine as it was, and
    nothing ran. Returns the corpus names the filter refused."""
    if not readback.available(name):
        pytest.fail(f"{readback.READERS[name][2]} is not installed (tools/setup.sh installs it)")
    mark = tmp_path / "MARKER"
    taken, refused = [], []
    for label, value in corpus.one_line(str(mark)):
        try:
            filters()[name](value)
        except EscapeError:
            refused.append(label)
            continue
        taken.append((label, value))
    got = readback.read(name, [v for _, v in taken], tmp_path / "work")
    assert [(label, g) for (label, _), g in zip(taken, got, strict=True)] == taken
    assert not mark.exists(), "a value ran a command"
    return refused


def check_unescaped_fails(name: str, raws: list[str], tmp_path: Path) -> None:
    """The same reader on values written without the filter: it must notice
    (an error, or a value that comes back different), so the round trip can fail."""
    fn = readback.READERS[name][0]
    (tmp_path / "raw").mkdir()
    try:
        got = fn(raws, tmp_path / "raw")
    except readback.ReadbackError:
        return
    assert got != raws

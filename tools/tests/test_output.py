"""The output folder rule shared by render, build and site: claimed before
anything is written, swapped in whole, nothing left behind by a failure."""

from __future__ import annotations

import subprocess

import pytest


def test_two_renders_into_one_new_directory_cannot_both_succeed(tmp_path):
    """The first claims the folder (mkdir + an O_EXCL claim file) before it
    renders; the second finds it taken, whichever checked first."""
    from opsbundle.output import OutputError, staged_output

    out = tmp_path / "out"
    with staged_output(out, force=False) as first:
        (first / "a").write_text("first")
        with pytest.raises(OutputError, match="another render is writing it"):
            with staged_output(out, force=False):
                pass
    assert (out / "a").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with pytest.raises(OutputError, match="not empty"):
        with staged_output(out, force=False):
            pass


def test_an_interrupted_render_leaves_nothing(tmp_path):
    from opsbundle.output import staged_output

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with staged_output(out, force=False) as staging:
            (staging / "half").write_text("x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_staging_left_by_a_killed_render_is_removed_by_the_next(tmp_path):
    from opsbundle.output import OWNER, staged_output

    proc = subprocess.Popen(["true"])  # a pid that has exited
    proc.wait()
    stale = tmp_path / ".out.abc123"
    stale.mkdir()
    (stale / OWNER).write_text(str(proc.pid))
    unrelated = tmp_path / ".out.keep"
    unrelated.mkdir()
    with staged_output(tmp_path / "out", force=False) as staging:
        (staging / "f").write_text("x")
    assert not stale.exists()
    assert unrelated.exists()  # not a staging folder of ours (no owner file)

"""confine.py: the box make and rpm's spec parser run in. Each test runs a
real command inside it and looks at what the command could reach."""

from __future__ import annotations

import subprocess

import pytest
from opsbundle.engines import EngineFailed, confine


def boxed(command: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(confine.argv(command, **kw), capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


def test_the_box_reads_usr_and_the_folders_it_is_given(tmp_path):
    (tmp_path / "rules").write_text("seen\n")
    done = boxed(["cat", "rules"], read=(tmp_path,), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "seen\n")


@pytest.mark.parametrize("path", ["/etc/passwd", "/root", "/var/lib", "/home"])
def test_the_box_holds_nothing_of_the_host_outside_usr(path):
    assert boxed(["ls", path]).returncode != 0


def test_the_repository_is_not_in_the_box():
    here = confine.__file__
    assert subprocess.run(["test", "-f", here], check=False).returncode == 0
    assert boxed(["test", "-e", here]).returncode != 0


def test_what_the_box_writes_stays_in_the_box(tmp_path):
    given = tmp_path / "given"
    given.mkdir()
    into_given = boxed(["touch", str(given / "made")], read=(given,))
    into_tmp = boxed(["sh", "-c", "touch /tmp/made-in-box && test -e /tmp/made-in-box"])
    assert into_given.returncode != 0 and "Read-only file system" in into_given.stderr
    assert into_tmp.returncode == 0
    assert list(given.iterdir()) == []
    assert not (tmp_path.parent / "made-in-box").exists()


def test_the_box_has_no_network_and_no_environment(monkeypatch):
    monkeypatch.setenv("OPSBUNDLE_SECRET", "s3cret")
    env = boxed(["env"])
    # bubblewrap itself sets PWD to the folder it starts the command in
    names = sorted(line.split("=")[0] for line in env.stdout.splitlines())
    assert names == ["LC_ALL", "PATH", "PWD"]
    # only a loopback device, and it is down: nothing answers outside the box
    links = boxed(["cat", "/proc/net/dev"]).stdout
    assert [ln.split(":")[0].strip() for ln in links.splitlines()[2:]] == ["lo"]


def test_an_engine_needing_the_box_fails_where_bubblewrap_cannot_make_it(monkeypatch):
    confine.refusal.cache_clear()
    monkeypatch.setattr(confine, "BINARY", "/nonexistent/bwrap")
    try:
        with pytest.raises(EngineFailed, match="bubblewrap cannot confine the parser here"):
            confine.require()
    finally:
        confine.refusal.cache_clear()

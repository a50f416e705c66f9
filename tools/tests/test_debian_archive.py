"""debian_archive.py: each stanza is apt-cache's own answer for that package
alone, from one apt-cache for every name asked together, once per process."""

from __future__ import annotations

import subprocess
import uuid

from opsbundle import debian_archive


def _alone(package: str) -> str:
    """apt-cache asked about one package, with the system's own settings."""
    out = subprocess.run(["apt-cache", "show", "--no-all-versions", package],
                         capture_output=True, text=True, check=False).stdout  # fmt: skip
    return out.strip()


def test_stanzas_are_apt_caches_own_from_one_run(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    missing = f"opsbundle-no-such-package-{uuid.uuid4().hex}"
    names = ["memcached", "haproxy", missing]
    runs = []
    real = subprocess.run

    def counting(argv, *args, **kwargs):
        runs.append(argv)
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    said = debian_archive.stanzas(names)
    again = debian_archive.stanzas(names[:2])
    monkeypatch.setattr(subprocess, "run", real)
    assert [program(a) for a in runs] == ["apt-cache"], runs
    assert {n: s.strip() for n, s in said.items()} == {n: _alone(n) for n in names}
    assert said[missing] == "" and "Package: memcached" in said["memcached"]
    assert again == {n: said[n] for n in names[:2]}
    # apt built its binary cache in opsbundle's cache folder, for the next process
    assert (tmp_path / "opsbundle" / "apt" / "pkgcache.bin").stat().st_size > 0


def program(argv) -> str:
    return argv[0]

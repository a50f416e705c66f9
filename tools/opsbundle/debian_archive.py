"""What Debian's archive holds, read offline from this machine's package
lists by apt-cache. Packaging (the epochs of Depends) and the render-index
suite (which services Debian packages) both ask. One apt-cache answers
every name asked for together, and each name is asked once per process.

Building apt's binary cache from the lists is most of an apt-cache run
(1.7 s here), and Debian's Docker images switch the system's cache off.
So apt keeps its cache in opsbundle's cache folder. apt checks the cache
against the lists it was built from, so an `apt-get update` is seen."""

from __future__ import annotations

import re
import subprocess

from .cache import cache_dir

_STANZAS: dict[str, str] = {}  # package -> its stanza ("" when the archive lacks it)
_NAME = re.compile(r"^Package: (\S+)", re.M)


def stanzas(packages) -> dict[str, str]:
    """{package: its `apt-cache show --no-all-versions` stanza, or ""}."""
    wanted = [p for p in dict.fromkeys(packages) if p not in _STANZAS]
    if wanted:
        found: dict[str, str] = {}
        for record in _show(wanted).split("\n\n"):  # one stanza per package found
            name = _NAME.search(record)
            if name and name[1] not in found:
                found[name[1]] = record
        for package in wanted:
            _STANZAS[package] = found.get(package, "")
    return {p: _STANZAS[p] for p in packages}


def _show(packages: list[str]) -> str:
    folder = cache_dir() / "apt"
    options = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for key, name in (("pkgcache", "pkgcache.bin"), ("srcpkgcache", "srcpkgcache.bin")):
            options += ["-o", f"Dir::Cache::{key}={folder / name}"]
    except OSError:
        pass  # no cache folder: apt builds its cache in memory, as the system's says
    try:
        return subprocess.run(
            ["apt-cache", *options, "show", "--no-all-versions", "--", *packages],
            capture_output=True, text=True, timeout=120, check=False,
        ).stdout  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return ""

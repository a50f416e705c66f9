"""Where a bundle may read from and write to: one place for the path rules
that validation (checks/files, checks/pkgbuild), rendering and the build
plan all apply."""

from __future__ import annotations

import functools
import posixpath
from pathlib import Path, PurePosixPath


def source_problem(bundle_path, source: str) -> tuple[str, str] | None:
    """(code, message) when `source` may not be read from this bundle."""
    pure = PurePosixPath(source)
    if pure.is_absolute() or ".." in pure.parts or source.startswith("~"):
        return "FIL002", f"source '{source}' leaves the bundle"
    full = bundle_path / source
    base = _resolved(Path(bundle_path))
    try:
        real = full.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return "FIL003", f"source '{source}' is a symlink loop"
    if real != base and base not in real.parents:
        return "FIL003", f"source '{source}' is a symlink to {real}, outside the bundle"
    if not full.is_file():
        return "FIL001", f"source '{source}' does not exist in the bundle"
    return None


@functools.lru_cache(maxsize=1024)
def _resolved(folder: Path) -> Path:
    """A bundle's folder, resolved once however many sources it names."""
    return folder.resolve()


def dest_problem(dest: str) -> tuple[str, str, str] | None:
    if not dest.startswith("/"):
        return "FIL004", f"destination '{dest}' is not absolute", "start it with /"
    clean = posixpath.normpath(dest)
    if clean.startswith("//"):
        clean = clean[1:]
    if clean != dest:
        return "FIL005", f"destination '{dest}' is not normalised", f"write {clean}"
    if dest == "/":
        return "FIL005", "destination '/' names no file", "give the full path of the file"
    return None


def nested(dests: list[str]) -> list[tuple[str, str]]:
    """(file, other) pairs where `other` would have to live inside `file`."""
    ordered = sorted(set(dests))
    pairs = []
    for i, dest in enumerate(ordered):
        for other in ordered[i + 1 :]:
            if not other.startswith(dest):
                break
            if other[len(dest)] == "/":
                pairs.append((dest, other))
    return pairs

"""Every file a bundle ships exists, stays inside the bundle, and lands at a
clean absolute destination with a real permission mode."""

from __future__ import annotations

import posixpath
import re
from pathlib import PurePosixPath

_MODE = re.compile(r"^0?[0-7]{3,4}$")


def source_problem(bundle_path, source: str) -> tuple[str, str] | None:
    """(code, message) when `source` may not be read from this bundle."""
    pure = PurePosixPath(source)
    if pure.is_absolute() or ".." in pure.parts or source.startswith("~"):
        return "FIL002", f"source '{source}' leaves the bundle"
    full = bundle_path / source
    base = bundle_path.resolve()
    try:
        real = full.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return "FIL003", f"source '{source}' is a symlink loop"
    if real != base and base not in real.parents:
        return "FIL003", f"source '{source}' is a symlink to {real}, outside the bundle"
    if not full.is_file():
        return "FIL001", f"source '{source}' does not exist in the bundle"
    return None


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


def check(ctx, bundle):
    doc = bundle.manifest
    seen: dict[str, tuple[int, set]] = {}
    for i, entry in bundle.files():
        source, dest, mode = entry.get("source"), entry.get("dest"), entry.get("mode")
        if isinstance(source, str):
            problem = source_problem(bundle.path, source)
            if problem:
                yield doc.finding(problem[0], ("files", i, "source"), problem[1])
        if isinstance(dest, str):
            problem = dest_problem(dest)
            if problem:
                yield doc.finding(problem[0], ("files", i, "dest"), problem[1], problem[2])
            roles = set(r for r in entry.get("roles") or [] if isinstance(r, str))
            if dest in seen:
                first, first_roles = seen[dest]
                if "all" in roles | first_roles or roles & first_roles:
                    yield doc.finding(
                        "FIL006",
                        ("files", i, "dest"),
                        f"destination '{dest}' is also written by files[{first}] on the same hosts",
                        hint="give the two files disjoint roles or different destinations",
                    )
            else:
                seen[dest] = (i, roles)
        if isinstance(mode, int) and not isinstance(mode, bool):
            yield doc.finding(
                "FIL007",
                ("files", i, "mode"),
                f"mode was read as the number {mode} (0{mode:o} octal); quote it",
                hint=f"mode: '0{mode:o}'" if mode < 0o10000 else "",
            )
        elif isinstance(mode, str) and not _MODE.match(mode):
            yield doc.finding(
                "FIL007", ("files", i, "mode"), f"mode '{mode}' is not an octal permission"
            )
    for file, inner in nested(list(seen)):
        yield doc.finding(
            "FIL010",
            ("files", seen[inner][0], "dest"),
            f"destination '{inner}' lies inside '{file}', which another entry writes as a file",
        )

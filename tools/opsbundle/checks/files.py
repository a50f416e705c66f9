"""Every file a bundle ships exists, stays inside the bundle, and lands at a
clean absolute destination with a real permission mode."""

from __future__ import annotations

import re

from ..paths import dest_problem, nested

_MODE = re.compile(r"^0?[0-7]{3,4}$")


def check(ctx, bundle):
    doc = bundle.manifest
    seen: dict[str, tuple[int, set]] = {}
    for i, entry in bundle.files():
        source, dest, mode = entry.get("source"), entry.get("dest"), entry.get("mode")
        if isinstance(source, str):
            problem = bundle.source_problem(source)
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

"""`opsbundle render --check`: the native engines on a site's own rendered
files, with its real values, before they are swapped in. The same engines and
rules `validate --require-native` runs on the bundles' samples, so a value
that passes its format but still upsets the tool (a TLS file name rsyslog
cannot load, a threshold promtool refuses) is caught before any host sees it.
"""

from __future__ import annotations

from pathlib import Path


def native(ctx, staging: Path, document: dict, planned: list) -> str:
    """Problems the engines report on the staged render, one per line ("" when
    none). A missing engine is a problem too: --check means checked."""
    from . import engines

    items = []
    for member, values in planned:
        files = [
            (f"{e['bundle']}/{e['source_file']}", staging / e["source"], e["dest"])
            for e in document["files"]
            if e["bundle"] == member.ref
        ]
        items.append(engines.Rendered(member.ref, files, member, ctx, values=values))
    outcome = engines.check_rendered(ctx, items, require=True)
    return "\n".join(f.as_text() for f in outcome.findings)

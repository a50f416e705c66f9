"""Services and host roles come from interfaces/vocabulary.yaml, so that a
deployment tool can map them onto its own inventory without guessing."""

from __future__ import annotations

import difflib


def _hint(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else "add it to interfaces/vocabulary.yaml"


def check(ctx, bundle):
    doc, reg = bundle.manifest, ctx.registry
    services = bundle.data.get("services")
    for i, svc in enumerate(services if isinstance(services, list) else []):
        if isinstance(svc, str) and svc not in reg.services:
            yield doc.finding(
                "VOC001", ("services", i), f"unknown service '{svc}'", _hint(svc, reg.services)
            )
    for i, entry in bundle.files():
        roles = entry.get("roles")
        for j, role in enumerate(roles if isinstance(roles, list) else []):
            if isinstance(role, str) and role not in reg.roles:
                yield doc.finding(
                    "VOC002",
                    ("files", i, "roles", j),
                    f"unknown host role '{role}'",
                    _hint(role, reg.roles),
                )

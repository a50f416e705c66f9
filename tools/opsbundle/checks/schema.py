"""Manifests and interface sections against their yamale schemas."""

from __future__ import annotations

import re

from ..findings import Finding
from ..load import Document

_ERROR = re.compile(r"^(?P<path>.*?)\s?: (?P<msg>.*)$", re.DOTALL)


def yamale_findings(schema, doc: Document, code: str, data=None, prefix: tuple = ()):
    """yamale reports `dotted.path: message`; turn each into a finding placed
    at that path's line, with the full path in the message."""
    result = schema.validate(doc.data if data is None else data, doc.path, True)
    for err in result.errors:
        m = _ERROR.match(err)
        path, msg = (m["path"], m["msg"]) if m else ("", err)
        keys = prefix + (tuple(path.split(".")) if path else ())
        shown = ".".join(str(k) for k in keys) or "(top level)"
        yield doc.finding(code, keys, f"{shown}: {msg}", at_key=msg == "Unexpected element")


def check(ctx, bundle) -> list[Finding]:
    doc = bundle.manifest
    fv = doc.data.get("format_version")
    fmt = ctx.registry.formats.get(fv) if isinstance(fv, int) and not isinstance(fv, bool) else None
    if fmt is None:
        known = ", ".join(str(v) for v in sorted(ctx.registry.formats)) or "none"
        return [
            doc.finding(
                "SCH003",
                ("format_version",),
                f"format_version {fv!r} is not a known manifest format (known: {known})",
                hint="start the manifest with `format_version: 1`",
            )
        ]
    schema = fmt.stack if bundle.is_stack else fmt.manifest
    found = list(yamale_findings(schema, doc, "SCH001")) if schema else []
    for ref, section in bundle.implements().items():
        iface = ctx.registry.interfaces.get(ref)
        if iface is None or iface.schema is None or iface.status == "removed":
            continue
        found += yamale_findings(
            iface.schema, doc, "SCH002", data=section, prefix=("implements", ref)
        )
    return found

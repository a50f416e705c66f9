"""Interfaces a bundle implements or requires exist, are alive, and are met.

Meeting an interface means declaring each parameter it names with the same
type: that is what lets a deployment tool render any implementation with the
same values.
"""

from __future__ import annotations

from .. import formats
from ..interfaces import REF


def _reference(ctx, doc, keypath, ref):
    """Findings for one `name/vN` reference; the interface, when usable."""
    if not REF.match(ref):
        yield (
            doc.finding(
                "IFC004", keypath, f"'{ref}' is not an interface reference", "write it as name/v1"
            ),
            None,
        )
        return
    iface = ctx.registry.interfaces.get(ref)
    if iface is None:
        others = ctx.registry.majors(ref.split("/")[0])
        hint = f"known versions: {', '.join(others)}" if others else "see interfaces/"
        yield doc.finding("IFC001", keypath, f"unknown interface '{ref}'", hint), None
        return
    if iface.status == "removed":
        yield (
            doc.finding(
                "IFC003",
                keypath,
                f"interface '{ref}' was removed",
                f"move to {iface.replaced_by}" if iface.replaced_by else "",
            ),
            None,
        )
        return
    if iface.status == "deprecated":
        yield (
            doc.finding(
                "IFC002",
                keypath,
                f"interface '{ref}' is deprecated",
                f"move to {iface.replaced_by}" if iface.replaced_by else "",
            ),
            iface,
        )
        return
    yield None, iface


def check(ctx, bundle):
    doc = bundle.manifest
    params = bundle.parameters()
    for ref in bundle.implements():
        for finding, iface in _reference(ctx, doc, ("implements", ref), ref):
            if finding:
                yield finding
            if iface is None:
                continue
            for name, spec in iface.parameters.items():
                mine = params.get(name)
                if mine is None:
                    yield doc.finding(
                        "IFC005",
                        ("implements", ref),
                        f"{ref} requires parameter '{name}' ({spec['type']}), not declared",
                        hint=f"declare parameters.{name} with type {spec['type']}",
                        at_key=True,
                    )
                elif mine.get("type") != spec["type"]:
                    yield doc.finding(
                        "IFC006",
                        ("parameters", name, "type"),
                        f"parameter '{name}' is {mine.get('type')}, {ref} says {spec['type']}",
                    )
                elif spec.get("secret") and not mine.get("secret"):
                    yield doc.finding(
                        "IFC007",
                        ("parameters", name),
                        f"{ref} marks parameter '{name}' secret; declare it `secret: true`",
                        at_key=True,
                    )
                elif _format_of(mine) != _format_of(spec):
                    yield doc.finding(
                        "IFC008",
                        ("parameters", name),
                        f"parameter '{name}' has format {_shown(mine)}, {ref} says {_shown(spec)}",
                        hint="a deployment passes one value to every implementation: "
                        "declare the interface's format and arguments",
                        at_key=True,
                    )
    for i, ref in enumerate(bundle.requires()):
        for finding, _ in _reference(ctx, doc, ("requires", i), ref):
            if finding:
                yield finding
    provides = bundle.data.get("provides") if bundle.is_stack else None
    for i, ref in enumerate(provides if isinstance(provides, list) else []):
        if isinstance(ref, str):
            for finding, _ in _reference(ctx, doc, ("provides", i), ref):
                if finding:
                    yield finding


def _format_of(spec: dict) -> dict:
    return {k: spec[k] for k in formats.ARGUMENTS if k in spec}


def _shown(spec: dict) -> str:
    fmt = _format_of(spec)
    if not fmt:
        return "(none)"
    args = ", ".join(f"{k}={v}" for k, v in fmt.items() if k != "format")
    return f"{fmt.get('format')}" + (f" ({args})" if args else "")

"""Parameters say what a deployment must supply, in what format, and never
carry a secret."""

from __future__ import annotations

from .. import formats
from ..bundle import type_matches


def check(ctx, bundle):
    doc = bundle.manifest
    for name, spec in bundle.parameters().items():
        kind = spec.get("type")
        key = ("parameters", name)
        if spec.get("secret"):
            if "default" in spec:
                yield doc.finding(
                    "PAR001",
                    key + ("default",),
                    f"secret parameter '{name}' has a default",
                    hint="a bundle never ships a secret; drop the default",
                )
            if not spec.get("required"):
                yield doc.finding(
                    "PAR006",
                    key,
                    f"secret parameter '{name}' must be required",
                    hint="add required: true; the deployment supplies every secret",
                    at_key=True,
                )
        elif not spec.get("required") and "default" not in spec:
            yield doc.finding(
                "PAR005",
                key,
                f"parameter '{name}' is optional but has no default",
                hint="give it a default, or mark it required: true",
                at_key=True,
            )
        if spec.get("required") and "default" in spec and not spec.get("secret"):
            yield doc.finding(
                "PAR004",
                key + ("default",),
                f"parameter '{name}' is required and also has a default",
                hint="drop one: a default makes it optional",
            )
        for field, code in (("default", "PAR002"), ("example", "PAR003")):
            if field in spec and kind and not type_matches(kind, spec[field]):
                shown = "<secret>" if spec.get("secret") else repr(spec[field])
                yield doc.finding(
                    code,
                    key + (field,),
                    f"{field} {shown} of '{name}' is not of type {kind}",
                )
        yield from _format(ctx, doc, name, spec)


def _format(ctx, doc, name, spec):
    """Every string a deployment passes is checked against a format, so each
    parameter holding strings declares one, and its own default and example
    keep it."""
    key = ("parameters", name)
    if "format" not in spec:
        if formats.holds_strings(spec):
            yield doc.finding(
                "PAR007",
                key,
                f"parameter '{name}' takes strings but declares no format",
                hint="add format: (see interfaces/manifest/v1/README.md); text only for free text",
                at_key=True,
            )
        return
    problems = formats.declaration_problems(spec, spec.get("type"))
    for problem in problems:
        yield doc.finding("PAR008", key + ("format",), f"parameter '{name}': {problem}")
    if problems:
        return
    vocab = {"services": ctx.registry.services, "roles": ctx.registry.roles}
    for field in ("default", "example"):
        if field not in spec:
            continue
        for bad in formats.check_value(spec[field], spec, vocab):
            where = key + (field, *bad.keypath)
            shown = "<secret>" if spec.get("secret") else repr(bad.shown)
            yield doc.finding(
                "PAR009",
                where,
                f"{field} {shown} of '{name}' {bad.message}",
                hint=f"a {formats.describe(spec)}, e.g. {formats.example(spec)!r}",
            )

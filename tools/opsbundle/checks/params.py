"""Parameters say what a deployment must supply, and never carry a secret."""

from __future__ import annotations

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

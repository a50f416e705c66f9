"""Render a service-checks/v1 implementation from the one example inventory.

monitoring/inventory.example.yaml is what a deployment tool would supply; a
bundle's tests/values.yaml adds only its tool-specific values. Rendering every
implementation from the same file is how `opsbundle test` and `opsbundle
coverage` prove that the tools can replace one another.
"""

from __future__ import annotations

from pathlib import Path

from .load import read_yaml

INVENTORY = Path("monitoring") / "inventory.example.yaml"
BUNDLE_VALUES = Path("tests") / "values.yaml"


class InventoryError(Exception):
    """The inventory or a bundle's test values cannot be read or resolved."""


def _layer(path: Path, shown: str):
    from .values import Layer

    if not path.is_file():
        return Layer(shown, {})
    doc, found = read_yaml(path, shown)
    if found or doc is None:
        raise InventoryError("\n".join(f.as_text() for f in found) or f"{shown}: unreadable")
    return Layer(shown, doc.data, {(): (doc, ())})


def values(ctx, bundle, overrides: dict | None = None) -> dict:
    """The inventory's values (checked like any --values file), then the
    bundle's own test values, then `overrides`."""
    from .render import vocabulary
    from .values import Layer, ValuesError, resolve

    layers = [
        _layer(ctx.root / INVENTORY, str(INVENTORY)),
        _layer(bundle.path / BUNDLE_VALUES, f"{bundle.ref}/{BUNDLE_VALUES}"),
    ]
    if overrides:
        layers.append(Layer("test overrides", overrides))
    known = bundle.parameters()
    try:
        return resolve(bundle, [layer.only(known) for layer in layers], vocabulary(ctx))
    except ValuesError as exc:
        raise InventoryError(str(exc)) from None


def render(ctx, bundle, out: Path, overrides: dict | None = None) -> list[tuple[str, Path]]:
    """(destination, rendered path) of every file, rendered into `out`."""
    from .render import RenderError, render_files

    try:
        entries = render_files(ctx, bundle, values(ctx, bundle, overrides), out)
    except RenderError as exc:
        raise InventoryError(str(exc)) from None
    return [(e["dest"], out / e["source"]) for e in entries]

"""A service-checks/v1 implementation leaves out only checks the catalog has."""

from __future__ import annotations

from ..catalog import INTERFACE


def check(ctx, bundle):
    if INTERFACE not in bundle.implements():
        return
    from .. import catalog  # only for bundles that implement the catalog

    known = catalog.checks(ctx.registry)
    if catalog.INTERFACE not in bundle.implements() or not known:
        return
    for cid in catalog.not_implemented(bundle):
        if cid not in known:
            yield bundle.manifest.finding(
                "CAT001",
                ("implements", catalog.INTERFACE, "not_implemented", cid),
                f"'{cid}' is not a check of the {catalog.INTERFACE} catalog",
                hint="see interfaces/service-checks/v1/catalog.yaml",
                at_key=True,
            )

"""The checks, one family of rules per module.

Each module exposes `check(ctx, bundle)` yielding findings. Every family runs
on every bundle, so one finding never hides another; a family skips only the
parts of a manifest that are too malformed to read (the schema family reports
those). To add a rule, add it to the family it belongs to and its code to
`findings.CODES`; to add a family, add a module here and to `FAMILIES`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .. import repo
from ..bundle import Bundle, load_bundle
from ..findings import Finding
from ..interfaces import Registry
from ..repo import BundleDir
from . import (
    catalog,
    changelog,
    deploy,
    files,
    identity,
    interfaces,
    params,
    pkgbuild,
    schema,
    stacks,
    templates,
    vocabulary,
)

FAMILIES = (
    identity,
    schema,
    vocabulary,
    interfaces,
    catalog,
    files,
    deploy,
    params,
    templates,
    pkgbuild,
    changelog,
    stacks,
)


@dataclass
class Context:
    root: Path
    registry: Registry
    bundle_dirs: dict[str, BundleDir]
    _loaded: dict[str, Bundle] = field(default_factory=dict)

    @classmethod
    def for_repo(cls, root: Path) -> Context:
        """Every bundle of the repository at `root`, and its interfaces."""
        return cls(root, Registry(root), {b.ref: b for b in repo.discover(root)})

    def named(self, name: str) -> Bundle:
        """One bundle by any name `opsbundle` accepts (ref, bare name, path);
        raises RepoError when there is none or several."""
        (bdir,) = repo.select(self.root, list(self.bundle_dirs.values()), [name])
        return self.bundle(bdir.ref)

    def bundle(self, ref: str) -> Bundle | None:
        """Another bundle, read once, for stacks that refer to it."""
        if ref not in self._loaded:
            bdir = self.bundle_dirs.get(ref)
            if bdir is None:
                return None
            self._loaded[ref] = load_bundle(self.root, bdir)
        return self._loaded[ref]


def run_all(ctx: Context, bundle: Bundle) -> list[Finding]:
    found = list(bundle.load_findings)
    if bundle.manifest is not None:
        for family in FAMILIES:
            found.extend(family.check(ctx, bundle))
    return [dataclasses.replace(f, bundle=bundle.ref) for f in found]

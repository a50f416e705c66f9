"""A bundle changed since the reference must release a new version: strictly
greater semver than the reference's. (The changelog family already requires an
entry for whatever version the manifest now says.)"""

from __future__ import annotations

from .. import repo, semver
from ..load import parse_yaml


def check(root, base: str, bundle):
    doc = bundle.manifest
    old_raw = repo.file_at(root, base, f"{bundle.ref}/{repo.MANIFEST}")
    if old_raw is None:
        return []  # a new bundle: any version will do
    old_doc, _ = parse_yaml(old_raw, "")
    old = semver.parse(old_doc.data.get("version")) if old_doc else None
    new = semver.parse(bundle.version) if bundle.version else None
    if old is None or new is None:
        return []  # an unreadable version is reported by the schema family
    if new == old:
        return [
            doc.finding(
                "VER001",
                ("version",),
                f"{bundle.ref} changed since {base[:12]} but is still at {new}",
                hint="bump the version and add a changelog entry for it",
            )
        ]
    if new < old:
        return [
            doc.finding(
                "VER002", ("version",), f"version went down from {old} to {new} since {base[:12]}"
            )
        ]
    return []

"""Every version a bundle has released is in its changelog, newest first."""

from __future__ import annotations

from .. import semver
from ..bundle import load_changelog
from .schema import yamale_findings


def check(ctx, bundle):
    doc, found = load_changelog(bundle)
    yield from found
    if doc is None:
        return
    fv = bundle.data.get("format_version")
    fmt = ctx.registry.formats.get(fv) if isinstance(fv, int) else None
    if fmt and fmt.changelog:
        yield from yamale_findings(fmt.changelog, doc, "SCH004")
    releases = doc.data.get("releases")
    if not isinstance(releases, list):
        return
    versions = []
    for i, rel in enumerate(releases):
        v = semver.parse(rel.get("version")) if isinstance(rel, dict) else None
        if v is not None:
            versions.append((i, v))
    for (_, newer), (i, older) in zip(versions, versions[1:], strict=False):
        if not older < newer:
            yield doc.finding(
                "CHG003",
                ("releases", i, "version"),
                f"{older} follows {newer}; releases go newest first, each once",
            )
    current = semver.parse(bundle.version) if bundle.version else None
    if current is None:
        return
    if not any(v == current for _, v in versions):
        yield doc.finding(
            "CHG002",
            ("releases",),
            f"no entry for version {current}, the manifest's version",
            hint=f"add a release '{current}' at the top with what changed",
        )
    for i, v in versions:
        if v > current:
            yield doc.finding(
                "CHG004",
                ("releases", i, "version"),
                f"{v} is newer than the manifest's version {current}",
            )

"""A package-build/v1 section names every template its family's build renders,
files that exist inside the bundle, and only projects the interface knows,
each with readable data that leaves the interface's guarantees alone. (What
the templates read and whether they render is the templates family's job.)"""

from __future__ import annotations

from ..pkgbuild import INTERFACE


def check(ctx, bundle):
    if INTERFACE not in bundle.implements():
        return
    from ..pkgbuild import plan  # the build pipeline, only for bundles that have one

    sec = plan.section(bundle)
    if not sec:
        return
    doc = bundle.manifest
    base = ("implements", plan.SECTION)
    templates = sec.get("templates") if isinstance(sec.get("templates"), dict) else {}
    projects = sec.get("projects") if isinstance(sec.get("projects"), dict) else {}
    # a bundle that packages nothing yet (as `opsbundle new` writes it) needs no templates
    needed = plan.REQUIRED.get(sec.get("family"), ()) if projects else ()
    missing = [k for k in needed if k not in templates]
    if missing:
        yield doc.finding(
            "PKG001",
            (*base, "templates"),
            f"the {sec.get('family')} build renders {', '.join(missing)}, which templates lacks",
            at_key=True,
        )
    for key, rel in templates.items():
        if isinstance(rel, str):
            problem = bundle.source_problem(rel)
            if problem:
                yield doc.finding("PKG002", (*base, "templates", key), problem[1])
    for name in projects:
        try:
            plan.project(ctx, bundle, name)
        except plan.PlanError as exc:
            yield doc.finding("PKG003", (*base, "projects", name), str(exc), at_key=True)

"""A bundle is what its place in the tree says it is, and says when it is retired."""

from __future__ import annotations


def check(ctx, bundle):
    doc, data = bundle.manifest, bundle.data
    top, dirname = bundle.ref.split("/", 1)
    name = data.get("name")
    if isinstance(name, str) and name != dirname:
        yield doc.finding(
            "MAN001",
            ("name",),
            f"name '{name}' differs from its directory '{dirname}'",
            hint="rename one of them; the directory name is how others refer to it",
        )
    domain = data.get("domain")
    if not bundle.is_stack and isinstance(domain, str) and domain != top:
        yield doc.finding(
            "MAN002", ("domain",), f"domain '{domain}' but the bundle lives under '{top}/'"
        )
    dep = data.get("deprecated")
    if isinstance(dep, dict):
        instead = dep.get("replaced_by")
        yield doc.finding(
            "MAN004",
            ("deprecated",),
            f"{bundle.ref} is deprecated since {dep.get('since')}: {dep.get('reason')}",
            hint=f"use {instead}" if instead else "",
        )

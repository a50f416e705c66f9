"""A stack's members exist at acceptable versions and fit together: what one
member requires another provides, no two write the same file, and values set
for a member are parameters it declares."""

from __future__ import annotations

import difflib

from .. import semver
from ..paths import nested


def check(ctx, bundle):
    if not bundle.is_stack:
        return
    doc = bundle.manifest
    provided: dict[str, str] = {}
    members = []
    seen: dict[str, int] = {}
    for i, entry in bundle.members():
        ref = entry.get("bundle")
        if not isinstance(ref, str):
            continue
        if ref in seen:
            yield doc.finding(
                "STK007", ("bundles", i, "bundle"), f"{ref} is already member {seen[ref]}"
            )
            continue
        seen[ref] = i
        member = ctx.bundle(ref)
        if member is None or member.manifest is None:
            close = difflib.get_close_matches(ref, list(ctx.bundle_dirs), n=1)
            yield doc.finding(
                "STK001",
                ("bundles", i, "bundle"),
                f"no bundle {ref} in this repository",
                hint=f"did you mean {close[0]}?" if close else "",
            )
            continue
        members.append((i, ref, member))
        yield from _version(doc, i, entry, member)
        yield from _values(ctx, doc, i, entry, member)
        if isinstance(member.data.get("deprecated"), dict):
            instead = member.data["deprecated"].get("replaced_by")
            yield doc.finding(
                "STK008",
                ("bundles", i, "bundle"),
                f"member {ref} is deprecated",
                hint=f"use {instead}" if instead else "",
            )
        for iface in member.implements():
            provided.setdefault(iface, ref)
    for i, ref, member in members:
        for need in member.requires():
            if need not in provided:
                yield doc.finding(
                    "STK003",
                    ("bundles", i, "bundle"),
                    f"{ref} requires {need}, which no member of the stack provides",
                )
    promised = bundle.data.get("provides")
    for i, iface in enumerate(promised if isinstance(promised, list) else []):
        if isinstance(iface, str) and iface not in provided:
            yield doc.finding(
                "STK006", ("provides", i), f"the stack promises {iface}, but no member provides it"
            )
    yield from _collisions(doc, members)


def _version(doc, i, entry, member):
    constraint = entry.get("version")
    have = semver.parse(member.version) if member.version else None
    if not isinstance(constraint, str) or have is None:
        return
    try:
        ok = semver.satisfies(have, constraint)
    except ValueError as exc:
        yield doc.finding("STK002", ("bundles", i, "version"), str(exc))
        return
    if not ok:
        yield doc.finding(
            "STK002",
            ("bundles", i, "version"),
            f"{member.ref} is at {have}, outside '{constraint}'",
        )


def _values(ctx, doc, i, entry, member):
    values = entry.get("values")
    declared = member.parameters()
    for name in values if isinstance(values, dict) else {}:
        if name not in declared:
            close = difflib.get_close_matches(str(name), list(declared), n=1)
            yield doc.finding(
                "STK005",
                ("bundles", i, "values", name),
                f"{member.ref} has no parameter '{name}'",
                hint=f"did you mean '{close[0]}'?" if close else "",
                at_key=True,
            )
        elif declared[name].get("secret"):
            yield doc.finding(
                "PAR001",
                ("bundles", i, "values", name),
                f"the stack sets secret parameter '{name}' of {member.ref}",
                hint="secrets come from the deployment, never from a bundle",
                at_key=True,
            )
        else:
            yield from _preset(ctx, doc, i, member, name, values[name])


def _preset(ctx, doc, i, member, name, value):
    """A preset is a value like any other: its type and format hold (VAL00x,
    placed in the stack manifest), the string as written."""
    from ..values import Layer, as_given, check_value

    where = {(member.ref,): (doc, ("bundles", i, "values"))}
    layer = Layer(doc.path, {member.ref: {name: value}}, where)
    spec = member.parameters()[name]
    vocab = {"services": ctx.registry.services, "roles": ctx.registry.roles}
    keypath = (member.ref, name)
    given = as_given(layer, keypath, spec, value)
    found, _ = check_value(layer, keypath, member.ref, name, spec, given, vocab)
    yield from found


def _collisions(doc, members):
    owner: dict[str, str] = {}
    for i, ref, member in members:
        for _, entry in member.files():
            dest = entry.get("dest")
            if not isinstance(dest, str):
                continue
            if dest in owner and owner[dest] != ref:
                yield doc.finding(
                    "STK004",
                    ("bundles", i, "bundle"),
                    f"{ref} and {owner[dest]} both write {dest}",
                )
            owner.setdefault(dest, ref)
    index = {ref: i for i, ref, _ in members}
    for file, inner in nested(list(owner)):
        if owner[file] != owner[inner]:
            yield doc.finding(
                "STK004",
                ("bundles", index[owner[inner]], "bundle"),
                f"{owner[inner]} writes {inner}, inside {file} which {owner[file]} writes",
            )

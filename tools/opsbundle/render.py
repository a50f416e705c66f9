"""Render a tool bundle or a stack into a directory a deployment repo copies from.

The output is all-or-nothing (output.py: staged beside the target, swapped in
with rename(2) only when every file rendered, so a failure leaves the target
exactly as it was). No path is written outside it.

Layout of the output:
    <DIR>/<domain>/<name>/<destination without its leading />
    <DIR>/index.json   render-index/v1 (render_index.py): what goes where, how to
                       check it and what to run when it changed
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import __version__, render_index
from .bundle import Bundle
from .checks import Context, run_all
from .findings import ERROR
from .interfaces import interface_data
from .output import OutputError, staged_output
from .paths import dest_problem
from .secrets import resolve_refs
from .templating import TemplateProblem, compiled, render_string
from .values import Layer, ValuesError, resolve, unknown_globals

INDEX = "index.json"


class RenderError(Exception):
    """Nothing was written; the message says every reason."""


def _members(ctx: Context, target: Bundle) -> list[tuple[Bundle, Layer]]:
    """(bundle, its stack preset values) for each bundle the render covers."""
    if not target.is_stack:
        return [(target, Layer(f"{target.ref} values", {}))]
    members = []
    for i, entry in target.members():
        member = ctx.bundle(entry.get("bundle", ""))
        if member is None or member.manifest is None:
            raise RenderError(f"{target.ref}: member {entry.get('bundle')} does not exist")
        values = entry.get("values") if isinstance(entry.get("values"), dict) else {}
        preset = Layer(
            f"{target.ref} values",
            {member.ref: values},
            {(member.ref,): (target.manifest, ("bundles", i, "values"))},
        )
        members.append((member, preset))
    return members


def chosen(target: Bundle, members: list, only: list[str] | None) -> list:
    """The members a site picked from a stack (all when `only` is None)."""
    if only is None:
        return members
    if not target.is_stack:
        raise RenderError(f"{target.ref} is not a stack: --member chooses a stack's members")
    refs = {m.ref: (m, p) for m, p in members}
    by_name = {ref.split("/", 1)[1]: ref for ref in refs}
    picked, unknown = [], []
    for name in only:
        ref = name if name in refs else by_name.get(name)
        if ref is None:
            unknown.append(name)
        elif refs[ref] not in picked:
            picked.append(refs[ref])
    if unknown:
        raise RenderError(
            f"{target.ref} has no member {', '.join(unknown)} (members: {', '.join(sorted(refs))})"
        )
    return [m for m in members if m in picked]


def vocabulary(ctx: Context) -> dict:
    """What vocabulary formats check against."""
    return {"services": ctx.registry.services, "roles": ctx.registry.roles}


def check_values(
    ctx: Context, members: list, layers: list, strict: bool = False
) -> list[tuple[Bundle, dict]]:
    """(bundle, values) for each member; raises ValuesError with every bad
    value of every member, each said once. Keys meant for bundles of the
    repository that this render does not cover are left alone unless
    `strict` (one site values file serves every render)."""
    everywhere = [b for b in map(ctx.bundle, sorted(ctx.bundle_dirs)) if b and b.manifest]
    layers = resolve_refs([m for m, _ in members], layers)
    problems = unknown_globals([m for m, _ in members], layers, everywhere, strict)
    planned = []
    for member, preset in members:
        try:
            planned.append((member, resolve(member, [preset, *layers], vocabulary(ctx))))
        except ValuesError as exc:
            problems += exc.findings
    if problems:
        # a global value bad for several members is said once, for the first
        said = {}
        for f in problems:
            said.setdefault((f.path, f.line, f.col, f.code, f.message.partition(" ")[2]), f)
        raise ValuesError(list(said.values()))
    return planned


def render(
    root: Path,
    name: str,
    out: Path,
    layers: list,
    force: bool = False,
    check=None,
    strict: bool = False,
    only: list[str] | None = None,
) -> dict:
    """Render `name` into `out` with `layers` of values. `check(ctx, staging,
    document, planned)`, when given, runs on the staged files before they are
    swapped in and returns the text of its problems ("" when none): a failed
    check writes nothing either. `strict`: values for bundles this render does
    not cover are errors; `only`: the stack members to render (all when None)."""
    ctx = Context.for_repo(root)
    target = ctx.named(name)
    if target.manifest is None:
        raise RenderError("\n".join(f.as_text() for f in target.load_findings))
    members = chosen(target, _members(ctx, target), only)
    invalid = [
        f.as_text()
        for bundle in {target.ref: target, **{m.ref: m for m, _ in members}}.values()
        for f in run_all(ctx, bundle)
        if f.severity == ERROR
    ]
    if invalid:
        raise RenderError("the bundle does not validate:\n" + "\n".join(invalid))
    try:
        planned = check_values(ctx, members, layers, strict)
    except ValuesError as exc:
        raise RenderError(str(exc)) from None
    try:
        return _write(ctx, target, planned, out.absolute(), force, root, check)
    except OutputError as exc:
        raise RenderError(str(exc)) from None


def _write(ctx, target, planned, out, force, root, check) -> dict:
    with staged_output(out, force, root) as staging:
        index = []
        for member, values in planned:
            index += render_files(ctx, member, values, staging)
        document = render_index.document(
            target, [m for m, _ in planned], index, f"opsbundle {__version__}"
        )
        (staging / INDEX).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        if check is not None:
            problems = check(ctx, staging, document, planned)
            if problems:
                raise RenderError("the native engines refuse the rendered files:\n" + problems)
    return document


def render_files(ctx: Context, bundle: Bundle, values: dict, staging: Path) -> list[dict]:
    """Write one bundle's files under `staging` and return their index entries.
    Engines, inventories and log parsers render through here too, so every
    consumer sees exactly what `opsbundle render` would write."""
    context = {**values, "interface": interface_data(ctx, bundle)}
    words = render_index.vocabulary(ctx.registry)
    secrets = {k for k, v in bundle.parameters().items() if v.get("secret")}
    entries = []
    problems = []
    for i, entry in bundle.files():
        where = f"{bundle.ref} files[{i}]"
        try:
            dest = render_string(entry["dest"], context).strip()
        except TemplateProblem as exc:
            problems.append(f"{where}: destination: {exc.message}")
            continue
        bad = dest_problem(dest) or (".." in dest.split("/") and ("FIL005", "has '..'", ""))
        if bad:
            problems.append(f"{where}: {bad[1]}")
            continue
        source = entry["source"]
        bad_source = bundle.source_problem(source)
        if bad_source:
            problems.append(f"{where}: {bad_source[1]}")
            continue
        raw = (bundle.path / source).read_bytes()
        if entry.get("template"):
            shown = f"{bundle.ref}/{source}"
            try:
                raw = compiled(raw.decode("utf-8")).render(context).encode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{shown}: not valid UTF-8")
                continue
            except TemplateProblem as exc:
                problems.append(f"{shown}:{exc.line}: {exc.message}")
                continue
        rel = Path(bundle.ref) / dest.lstrip("/")
        target = (staging / rel).resolve()
        if not target.is_relative_to(staging.resolve()):
            problems.append(f"{where}: destination {dest} would leave the output directory")
            continue
        if target.exists():
            problems.append(f"{where}: {dest} is written twice")
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)
        except OSError as exc:  # e.g. one destination is the folder of another
            problems.append(f"{where}: cannot write {dest}: {exc.strerror}")
            continue
        mode = render_index.mode_text(entry.get("mode", "0644"))
        os.chmod(target, int(mode, 8) & 0o777)
        try:
            entries.append(
                render_index.file_entry(
                    bundle,
                    entry,
                    dest,
                    rel.as_posix(),
                    raw,
                    secrets=sorted(secrets & _used(entry, bundle)),
                    context=context,
                    words=words,
                )
            )
        except render_index.IndexProblem as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise RenderError("\n".join(problems))
    return entries


def compile_templates(bundle: Bundle) -> None:
    """Compile every template `bundle` renders into templating's cache: a
    parent that forks workers does this first, so that they share the
    compiled templates instead of each compiling its own."""
    for _, entry in bundle.files():
        try:
            _used(entry, bundle)
        except (OSError, UnicodeDecodeError, TemplateProblem):
            pass  # the run that renders it reports it


def _used(entry: dict, bundle: Bundle) -> set[str]:
    if not entry.get("template"):
        return set()
    text = (bundle.path / entry["source"]).read_text(encoding="utf-8")
    return compiled(text).variables

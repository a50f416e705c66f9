"""Render a tool bundle or a stack into a directory a deployment repo copies from.

The output is all-or-nothing: everything is rendered into a fresh directory next
to the target and swapped in with rename(2) only when every file rendered, so a
failure leaves the target exactly as it was. No path is written outside it.

Layout of the output:
    <DIR>/<domain>/<name>/<destination without its leading />
    <DIR>/index.json   render-index/v1 (render_index.py): what goes where, how to
                       check it and what to run when it changed
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from . import __version__, render_index, repo
from .bundle import Bundle
from .checks import Context, run_all
from .findings import ERROR
from .interfaces import interface_data
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
    with staged_output(out.absolute(), force, root) as staging:
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


def check_target(out: Path, force: bool, root: Path | None = None) -> None:
    """`out` may be written: not the repository (`root`) or a part of it that
    holds bundles, not a file, and empty unless `force`."""
    unsafe = repo.unsafe_output(root, out) if root is not None else None
    if unsafe:
        raise RenderError(unsafe)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise RenderError(f"{out} exists and is not a directory")
    claim = out / CLAIM
    if claim.is_file():
        try:
            holder = int(claim.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            holder = 0
        if holder and _alive(holder):
            raise RenderError(f"{out}: another render is writing it (process {holder})")
        with contextlib.suppress(OSError):
            claim.unlink()  # its render was killed
    if out.is_dir() and any(out.iterdir()) and not force:
        raise RenderError(f"{out} is not empty; pass --force to replace its contents")


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
            dest = render_string(entry["dest"], context, f"{bundle.ref} files[{i}].dest").strip()
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
                raw = compiled(raw.decode("utf-8"), shown).render(context).encode("utf-8")
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


def _used(entry: dict, bundle: Bundle) -> set[str]:
    if not entry.get("template"):
        return set()
    text = (bundle.path / entry["source"]).read_text(encoding="utf-8")
    return compiled(text, f"{bundle.ref}/{entry['source']}").variables


CLAIM = ".opsbundle-claim"
OWNER = ".opsbundle-owner"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(out: Path) -> None:
    """Staging folders of renders into `out` that were killed (SIGKILL, power
    loss) before they could clean up: their owner process is gone."""
    for stale in out.parent.glob(f".{out.name}.*"):
        owner = stale / OWNER
        try:
            pid = int(owner.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not _alive(pid):
            shutil.rmtree(stale, ignore_errors=True)


def _claim(out: Path, force: bool) -> str:
    """Take a new or empty `out` for this render with an O_EXCL claim file:
    "created" (the folder is ours), "claimed" (an empty folder we now hold),
    "" when `--force` replaces a folder that already has content."""
    created = "claimed"
    try:
        os.mkdir(out)
        created = "created"
    except FileExistsError:
        pass
    if force and any(p.name != CLAIM for p in out.iterdir()):
        return ""
    try:
        fd = os.open(out / CLAIM, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise RenderError(f"{out}: another render is writing it") from None
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    if any(p.name != CLAIM for p in out.iterdir()) and not force:
        (out / CLAIM).unlink()
        raise RenderError(f"{out} is not empty; pass --force to replace its contents")
    return created


@contextlib.contextmanager
def staged_output(out: Path, force: bool, root: Path | None = None):
    """A staging folder beside `out`, swapped in when the block succeeds and
    removed whatever else happens (an exception, Ctrl-C, SIGTERM: the command
    turns SIGTERM into an exception). A new `out` is claimed first with
    mkdir(2) and a claim file, so two renders into one new folder cannot both
    succeed: the second finds it taken and not empty."""
    check_target(out, force, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    claimed = _claim(out, force)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (staging / OWNER).write_text(str(os.getpid()), encoding="utf-8")
        yield staging
        (staging / OWNER).unlink()
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if claimed and (out / CLAIM).is_file():
            (out / CLAIM).unlink()
            if claimed == "created":
                with contextlib.suppress(OSError):
                    os.rmdir(out)
        raise


def swap_in(staging: Path, out: Path) -> None:
    """Replace `out` by `staging` with renames only, so readers see the old
    or the new tree, never a half-written one."""
    if not out.exists():
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)

"""The injection suite of `opsbundle test`: every tool bundle, every string
parameter, every hostile value (corpus.py). Each value is refused cleanly (its
format, or an escape that cannot hold it), or it renders and is held as data:

1. each file it reaches differs from the render with a plain value only where
   an escape filter of the file's language wrote the value (the dynamic twin of
   the template check TPL006);
2. each escaped token, read back by the real engine (readback.py), is the value
   again: all tokens of one filter in one engine run;
3. per parameter, one render holding every accepted value at once passes the
   bundle's native engine (`engines.check_rendered`), and the engine builds the
   same objects as with the plain value: nagios4 -vp's precache, icinga2's
   object dump, the YAML, my.cnf and environment files as their readers see them;
4. nothing ran: no marker file exists after all engine runs.

It is interface-independent: it needs no `implements`, only the manifests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import escape, formats
from ..escape import EscapeError
from ..injection import corpus, readback
from ..interfaces import interface_data
from ..templating import Compiled, TemplateProblem
from ..values import Layer, check_value, resolve
from .result import Result

INTERFACE = "injection"
EVERY_TOOL_BUNDLE = True
REFUSED = "payload refused"
ESCAPED = "payload held as data"
ENGINE = "engine: same objects"
EXECUTED = "nothing executed"
LANGUAGE = "escapes of its languages"
KINDS = (REFUSED, ESCAPED, ENGINE, EXECUTED, LANGUAGE)


@dataclass
class Case:
    bundle: str
    param: str
    label: str
    value: str
    tokens: list[tuple[str, str]] = field(default_factory=list)  # (filter, value)


def _vocab(ctx) -> dict:
    return {"services": ctx.registry.services, "roles": ctx.registry.roles}


def plain_values(ctx, bundle) -> dict:
    """What the bundle renders with when nothing is hostile: the monitoring
    inventory for service-checks implementations, else the bundle's
    tests/values.yaml over its defaults and examples."""
    from .. import inventory

    if "service-checks/v1" in bundle.implements():
        return inventory.values(ctx, bundle)
    values = bundle.sample_values()
    own = bundle.path / "tests" / "values.yaml"
    if own.is_file():
        from ..values import read_values_layer

        layer = read_values_layer(own).only(bundle.parameters())
        values.update(resolve(bundle, [Layer("defaults", values), layer], _vocab(ctx)))
    return values


def string_parameters(bundle) -> list[tuple[str, dict]]:
    return [(n, s) for n, s in bundle.parameters().items() if formats.holds_strings(s)]


def _substitute(plain, value: str):
    """`plain` with its first string replaced by `value` (a str, or a leaf of
    a list or map), and the string it replaced."""
    if isinstance(plain, str) or plain is None:
        return value, plain if isinstance(plain, str) else ""
    if isinstance(plain, list):
        for i, item in enumerate(plain):
            if isinstance(item, str | list | dict):
                new, old = _substitute(item, value)
                if old is not None:
                    return [*plain[:i], new, *plain[i + 1 :]], old
        return [value], ""
    if isinstance(plain, dict):
        for k, item in plain.items():
            if isinstance(item, str | list | dict):
                new, old = _substitute(item, value)
                if old is not None:
                    return {**plain, k: new}, old
        return {**plain, "injection": value}, ""
    return value, ""


class Templates:
    """Each file of a bundle compiled once, with its language, and, for a
    package-build/v1 bundle, each build template (rendered for its first
    project, as a build would); renders only the files a parameter reaches."""

    def __init__(self, ctx, bundle):
        self.ctx, self.bundle = ctx, bundle
        self.files = []
        self.static = []
        for _, entry in bundle.files():
            if not entry.get("template"):
                self.static.append(entry)
                continue
            text = (bundle.path / entry["source"]).read_text(encoding="utf-8")
            compiled = Compiled(text)
            self.files.append((entry, compiled, None))
        self._build_templates()

    def _build_templates(self) -> None:
        from ..pkgbuild import plan

        sec = plan.section(self.bundle)
        names = list(sec.get("projects") or {})
        if not names:
            return
        proj = plan.project(self.ctx, self.bundle, names[0])
        for key in sec.get("templates") or {}:
            units = plan.renderings(key, proj)
            if not units:
                continue
            path = plan.template_path(self.bundle, key)
            compiled = Compiled(path.read_text(encoding="utf-8"))
            entry = {"dest": f"build {key}", "language": plan.LANGUAGES.get(key)}
            self.files.append((entry, compiled, (proj, units[0])))

    def write(self, values: dict, out: Path) -> list[tuple[str, Path, str]]:
        """Every file as `opsbundle render` writes it (same templates, same
        context) under `out`: (template, path, destination) for the engines."""
        written = []
        installed = [f for f in self.files if f[2] is None]
        for (entry, _, _), text in zip(installed, self.render(values, installed), strict=True):
            written.append((entry, text.encode("utf-8")))
        written += [(e, (self.bundle.path / e["source"]).read_bytes()) for e in self.static]
        files = []
        for entry, data in written:
            path = out / self.bundle.ref / entry["dest"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            files.append((f"{self.bundle.ref}/{entry['source']}", path, entry["dest"]))
        return files

    def reached_by(self, param: str):
        return [f for f in self.files if param in f[1].variables]

    def render(self, values: dict, files) -> list[str]:
        from ..pkgbuild import plan

        out = []
        for _, compiled, build in files:
            if build is None:
                context = {**values, "interface": interface_data(self.ctx, self.bundle)}
            else:
                proj, unit = build
                context = plan.values(
                    self.ctx, self.bundle, values, proj, plan.sample_build(), unit
                )
            out.append(compiled.render(context))
        return out


def _explained(plain: str, hostile: str, old: str, new: str, language: str | None):
    """The filters whose token for `new`, written where the plain render has the
    token for `old`, turns every plain line into the hostile one; None when the
    value appears anywhere else."""
    a, b = plain.split("\n"), hostile.split("\n")
    if len(a) != len(b):
        return None
    used = set()
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        for name, fn in sorted(escape.LANGUAGES.get(language or "", {}).items()):
            try:
                t_old, t_new = fn(old), fn(new)
            except EscapeError:
                continue
            if t_old and t_old in x and x.replace(t_old, t_new) == y:
                used.add(name)
                break
        else:
            return None
    return used


def _cases(ctx, bundle, mark: str, results: list[Result], stats: dict) -> list[tuple]:
    """Refuse or render each hostile value of each string parameter; returns
    (parameter, spec, accepted values, plain values) for the engine stage."""
    ref = bundle.ref
    base = plain_values(ctx, bundle)
    templates = Templates(ctx, bundle)
    vocab = _vocab(ctx)
    staged = []
    for name, spec in string_parameters(bundle):
        files = templates.reached_by(name)
        plain_render = templates.render(base, files)
        accepted = []
        for label, value in corpus.values(mark):
            stats["cases"] += 1
            given, old = _substitute(base.get(name, spec.get("default")), value)
            case = f"{name} {label}"
            found, given = check_value(
                Layer("injection", {name: given}), (name,), ref, name, spec, given, vocab
            )
            if found:
                stats["refused"] += 1
                results.append(Result(ref, REFUSED, case, True, found[0].code))
                continue
            values = {**base, name: given}
            try:
                rendered = templates.render(values, files)
            except TemplateProblem as exc:
                if "EscapeError" not in exc.message:
                    results.append(Result(ref, ESCAPED, case, False, exc.message))
                    continue
                stats["refused"] += 1
                results.append(Result(ref, REFUSED, case, True, "escape refused it"))
                continue
            tokens = set()
            for (entry, _, _), p, h in zip(files, plain_render, rendered, strict=True):
                used = _explained(p, h, old, value, entry.get("language"))
                if used is None:
                    results.append(
                        Result(ref, ESCAPED, case, False, f"{entry['dest']}: written unescaped")
                    )
                    break
                tokens |= used
            else:
                stats["escaped"] += 1
                accepted.append(value)
                stats["tokens"].extend((f, value, ref, case) for f in sorted(tokens))
                how = ", ".join(sorted(tokens)) or "reaches no file"
                results.append(Result(ref, ESCAPED, case, True, f"escaped by {how}"))
        if accepted:
            staged.append((name, spec, accepted, base))
    return staged, templates


# --------------------------------------------------------------------------- engines


def _nagios_objects(files, work: Path):
    objects = [p.read_text(encoding="utf-8") for _, p, d in files if "/nagios4/conf.d/" in d]
    if not objects:
        return None
    return set(readback.nagios_precache("".join(objects), work))


def _icinga2_objects(files, work: Path):
    from ..engines import icinga2

    confs = [p for _, p, d in sorted(files, key=lambda f: f[2]) if d.startswith("/etc/icinga2/")]
    if not confs:
        return None
    done = icinga2.validate(work, confs)
    if done.returncode != 0:
        raise readback.ReadbackError((done.stdout + done.stderr)[-1000:])
    return {(o.get("type"), o.get("name")) for o in icinga2.objects(work)}


def _yaml_data(files, work: Path):
    import yaml

    out = []
    for _, p, d in files:
        if d.endswith((".yaml", ".yml")):
            try:
                text = p.read_text(encoding="utf-8")
                out.append(list(yaml.load_all(text, Loader=yaml.CSafeLoader)))
            except yaml.YAMLError as exc:
                raise readback.ReadbackError(f"{d}: {exc}") from None
    return out or None


def _mycnf(files, work: Path) -> list:
    out = []
    for _, p, d in files:
        if d.endswith(".cnf"):
            got = subprocess.run(
                ["my_print_defaults", f"--defaults-file={p}", "client"],
                capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            out.append(got.stdout)
    return out or None


def _envfiles(files, work: Path) -> list:
    out = []
    for _, p, d in files:
        if d.endswith(".env"):
            names = re.findall(r"(?m)^([A-Z_][A-Z0-9_]*)=", p.read_text(encoding="utf-8"))
            script = f". {p}\n" + "".join(f"printf '%s\\n' \"${n}\"\n" for n in names)
            got = subprocess.run(
                ["/bin/sh", "-c", script], capture_output=True, text=True, timeout=60, check=True
            )
            out.append(got.stdout)
    return out or None


# (what is compared, reader, binary it needs, whether it reads the whole configuration)
READERS = (
    ("nagios4 -vp objects", _nagios_objects, "nagios4", True),
    ("icinga2 objects", _icinga2_objects, "icinga2", True),
    ("YAML documents", _yaml_data, None, False),
    ("my.cnf options", _mycnf, "my_print_defaults", False),
    ("environment files", _envfiles, None, False),
)


def _replace(data, new: str, old: str):
    if isinstance(data, str):
        return data.replace(new, old)
    if isinstance(data, list):
        return [_replace(x, new, old) for x in data]
    if isinstance(data, dict):
        return {_replace(k, new, old): _replace(v, new, old) for k, v in data.items()}
    if isinstance(data, set | frozenset):
        return {_replace(x, new, old) for x in data}
    if isinstance(data, tuple):
        return tuple(_replace(x, new, old) for x in data)
    return data


def _engine_stage(ctx, bundle, staged, templates, work: Path, results: list[Result]) -> list:
    """One render holding, in every parameter that let payloads through, all
    of them at once (tagged with the parameter's name, so each stays
    recognisable): its objects and values, as the readers see them, must be
    the plain render's with each parameter's value in place. Returns the
    render (engines.Rendered) for one batched native-engine run."""
    from .. import engines

    ref = bundle.ref
    base = staged[0][3]
    hostile, swaps = dict(base), []
    for name, spec, accepted, _ in staged:
        combined = f"{name}: " + " ".join(accepted)
        combined = combined[: formats.FORMATS["text"].max_length]
        hostile[name], old = _substitute(base.get(name, spec.get("default")), combined)
        swaps.append((combined, old or ""))
    case = f"{', '.join(n for n, *_ in staged)}: all accepted payloads at once"
    plain_files = templates.write(base, work / "plain")
    try:
        files = templates.write(hostile, work / "hostile")
    except TemplateProblem as exc:
        results.append(Result(ref, ENGINE, case, False, f"does not render: {exc.message}"))
        return []
    changed = [
        (f, p)
        for f, p in zip(files, plain_files, strict=True)
        if f[1].read_bytes() != p[1].read_bytes()
    ]
    for label, fn, binary, whole in READERS:
        if binary and shutil.which(binary) is None:
            continue
        tag = label.split()[0]
        for side in ("plain", "hostile"):
            (work / f"{side}-{tag}").mkdir(parents=True, exist_ok=True)
        try:
            if whole:  # objects: the whole configuration
                want = fn(plain_files, work / f"plain-{tag}")
                got = fn(files, work / f"hostile-{tag}") if want is not None else None
            else:
                want = fn([p for _, p in changed], work / f"plain-{tag}")
                got = fn([f for f, _ in changed], work / f"hostile-{tag}")
        except (readback.ReadbackError, subprocess.CalledProcessError) as exc:
            results.append(Result(ref, ENGINE, f"{case} ({label})", False, str(exc)[:500]))
            continue
        if want is None:
            continue
        for combined, old in sorted(swaps, key=lambda s: -len(s[0])):
            got = _replace(got, combined, old)
        same = got == want
        detail = "" if same else f"{label} differ from the plain render's"
        results.append(Result(ref, ENGINE, f"{case} ({label})", same, detail))
    return [engines.Rendered(ref, files, bundle, ctx)]


def _native(ctx, items: list, results: list[Result]) -> None:
    """The bundles' own engines on every hostile render, each engine started once."""
    from .. import engines

    if not items:
        return
    outcome = engines.check_rendered(ctx, items, require=True)
    for ref in sorted({i.ref for i in items}):
        found = [f.message for f in outcome.findings if f.bundle == ref]
        n = sum(i.ref == ref for i in items)
        detail = "; ".join(found)[:500]
        results.append(
            Result(ref, ENGINE, f"native engine on {n} hostile render(s)", not found, detail)
        )


def _read_tokens(stats: dict, work: Path, results: list[Result]) -> None:
    """Every escaped token, read back by its engine: one run per filter."""
    by_filter: dict[str, list] = {}
    for name, value, ref, case in stats["tokens"]:
        by_filter.setdefault(name, []).append((value, ref, case))
    for name, items in sorted(by_filter.items()):
        unique = sorted({v for v, _, _ in items})
        try:
            got = dict(zip(unique, readback.read(name, unique, work / name), strict=True))
        except readback.ReadbackError as exc:
            got = {}
            failure = str(exc)[:300]
        for value, ref, case in items:
            ok = got.get(value) == value
            detail = "" if ok else (failure if not got else f"{name} read back {got[value]!r}")
            results.append(Result(ref, ESCAPED, f"{case} via {name}", ok, detail))


def _languages(bundles, mark: str, work: Path, results: list[Result]) -> None:
    """Every filter of every language a bundle's files declare, on the whole
    one-line corpus, read back by its engine (rsyslogd runs even when every
    rsyslog parameter refuses free text): one engine run per filter."""
    verdicts: dict[str, tuple[bool, str]] = {}
    values = [v for _, v in corpus.one_line(mark)]
    from ..pkgbuild import plan

    for bundle in bundles:
        languages = {e.get("language") for _, e in bundle.files()}
        languages |= {plan.LANGUAGES.get(k) for k in plan.section(bundle).get("templates") or {}}
        languages -= {None}
        for language in sorted(languages):
            for name in sorted(escape.LANGUAGES.get(language, {})):
                if name not in verdicts:
                    fn = escape.filters()[name]
                    taken = []
                    for v in values:
                        try:
                            fn(v)
                        except EscapeError:
                            continue
                        taken.append(v)
                    try:
                        got = readback.read(name, taken, work / name)
                        bad = [v for v, g in zip(taken, got, strict=True) if v != g]
                        verdicts[name] = (not bad, f"changed: {bad[:3]!r}" if bad else "")
                    except readback.ReadbackError as exc:
                        verdicts[name] = (False, str(exc)[:300])
                    kind = readback.READERS[name][1]
                    verdicts[name] += (f"{len(taken)} values, {kind}",)
                ok, detail, how = verdicts[name]
                results.append(Result(bundle.ref, LANGUAGE, f"{name} ({how})", ok, detail))


def run(ctx, bundles) -> list[Result]:
    results: list[Result] = []
    stats = {"cases": 0, "refused": 0, "escaped": 0, "tokens": []}
    with tempfile.TemporaryDirectory(prefix="opsbundle-injection-") as tmp:
        work = Path(tmp)
        mark = work / "MARKER-never-created"
        items = []
        for bundle in bundles:
            staged, templates = _cases(ctx, bundle, str(mark), results, stats)
            if staged:
                items += _engine_stage(ctx, bundle, staged, templates, work / bundle.ref, results)
        _native(ctx, items, results)
        _read_tokens(stats, work / "readback", results)
        _languages(bundles, str(mark), work / "languages", results)
        ran = mark.exists()
        for bundle in bundles:
            results.append(
                Result(
                    bundle.ref, EXECUTED, "no marker file", not ran, "a payload ran" if ran else ""
                )
            )
    return results


def figures(results: list[Result]) -> dict:
    """parameters x payloads, refused, escaped, executed: the issue's numbers."""
    cases = [r for r in results if r.kind in (REFUSED, ESCAPED) and " via " not in r.case]
    params = {(r.bundle, r.case.split(" ", 1)[0]) for r in cases}
    return {
        "parameters": len(params),
        "payloads": len(corpus.HOSTILE),
        "cases": len(cases),
        "refused": sum(r.kind == REFUSED for r in results),
        "escaped": sum(r.kind == ESCAPED and " via " not in r.case and r.ok for r in results),
        "read back": sum(r.kind == ESCAPED and " via " in r.case and r.ok for r in results),
        "executed": sum(r.kind == EXECUTED and not r.ok for r in results),
        "failed": sum(not r.ok for r in results),
    }

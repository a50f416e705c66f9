"""Templates read only declared parameters, render in the sandbox with the
bundle's own defaults and examples, and write free text only through the
escape filter of the file's language; destinations may use parameters too."""

from __future__ import annotations

from .. import escape, formats, freetext, templating
from ..findings import Finding
from ..interfaces import interface_data
from ..render_index import edit_templates
from ..templating import TemplateProblem


def check(ctx, bundle):
    doc = bundle.manifest
    params = bundle.parameters()
    free = free_text(params)
    values = bundle.sample_values()
    values["interface"] = interface_data(ctx, bundle)
    used: set[str] = set()
    for i, entry in bundle.files():
        dest = entry.get("dest")
        if isinstance(dest, str) and "{" in dest:
            try:
                dest_template = templating.compiled(dest)
            except TemplateProblem as exc:
                yield doc.finding("TPL001", ("files", i, "dest"), f"destination: {exc.message}")
            else:
                used |= dest_template.variables
                for var in sorted(dest_template.variables - params.keys()):
                    yield doc.finding(
                        "FIL008",
                        ("files", i, "dest"),
                        f"destination uses '{var}', which is not a declared parameter",
                    )
                for var in sorted(dest_template.variables & free):
                    yield doc.finding(
                        "TPL006",
                        ("files", i, "dest"),
                        f"destination uses free-text parameter '{var}'",
                        hint="a destination takes a path or identifier format, never text",
                    )
        language = entry.get("language")
        if language is not None and language not in escape.known():
            yield doc.finding(
                "TPL007",
                ("files", i, "language"),
                f"unknown language {language!r}",
                hint=f"one of {', '.join(escape.known())}",
            )
            language = None
        source = entry.get("source")
        if not entry.get("template") or not isinstance(source, str):
            continue
        path = bundle.path / source
        shown = f"{bundle.ref}/{source}"
        try:
            if bundle.source_problem(source):
                continue  # the files family reports it
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            yield doc.finding("TPL004", ("files", i, "source"), f"{shown}: {exc.reason}")
            continue
        except OSError:
            continue
        compiled, ok = yield from _compile(shown, text, params.keys())
        used |= compiled.variables if compiled else set()
        if compiled:
            yield from _secret_exposure(doc, i, entry, compiled.variables, params)
            yield from _escapes(shown, compiled, free, language)
        if not ok:
            continue
        try:
            compiled.render(values)
        except TemplateProblem as exc:
            yield _at(
                shown,
                exc.line,
                "TPL003",
                f"does not render with the defaults and examples: {exc.message}",
            )
    used |= yield from _build_templates(ctx, bundle, params)
    for _, _, text in edit_templates(bundle):  # checks/deploy reports their problems
        try:
            used |= templating.compiled(text).variables
        except TemplateProblem:
            pass
    # an implementation declares every parameter its interfaces name, even one
    # it has no use for (a check it lists as not implemented, say)
    contract = {
        name
        for ref in bundle.implements()
        if ref in ctx.registry.interfaces
        for name in ctx.registry.interfaces[ref].parameters
    }
    for name in sorted(params.keys() - used - contract):
        yield doc.finding(
            "TPL005",
            ("parameters", name),
            f"parameter '{name}' is used by no template or destination",
            at_key=True,
        )


def free_text(params: dict) -> set[str]:
    return {name for name, spec in params.items() if formats.is_free_text(spec)}


def _escapes(shown: str, compiled, free: set[str], language: str | None):
    """TPL006 for each place free text is written without the language's filter."""
    if not free & compiled.variables:
        return
    allowed = escape.filters_of(language)
    for leak in freetext.leaks(compiled.tree, free, allowed):
        via = f" (through '{leak.name}')" if leak.name != leak.origin else ""
        if language is None:
            hint = "declare the file's `language` in manifest.yaml and use its filter"
        elif allowed:
            hint = f"write it as {{{{ {leak.name} | {sorted(allowed)[0]} }}}} (filters of "
            hint += f"{language}: {', '.join(sorted(allowed))})"
        else:
            hint = f"{language} holds no free text: give the parameter a stricter format"
        yield _at(
            shown,
            leak.line,
            "TPL006",
            f"free-text parameter '{leak.origin}'{via} is written without an escape "
            f"filter of {language or 'the file (no language declared)'}",
            hint=hint,
        )


def _secret_exposure(doc, i, entry, variables, params):
    """A rendered file holding a secret must not be readable by every user."""
    secrets = sorted(v for v in variables if params.get(v, {}).get("secret"))
    mode = entry.get("mode")
    try:
        bits = int(mode, 8) if isinstance(mode, str) else None
    except ValueError:
        bits = None  # the files family reports a bad mode
    if secrets and bits is not None and bits & 0o004:
        yield doc.finding(
            "FIL009",
            ("files", i, "mode"),
            f"file holds secret(s) {', '.join(secrets)} but mode {mode} is world-readable",
            hint="use '0640' with a group the service runs as, or '0600'",
        )


def _compile(shown: str, text: str, params, extra=frozenset()):
    """(compiled template or None, whether it may be rendered), after yielding
    why not: a syntax error, or variables that are neither parameters nor
    `extra` (the names a build gives its templates)."""
    try:
        template = templating.compiled(text)
    except TemplateProblem as exc:
        yield _at(shown, exc.line, "TPL001", exc.message)
        return None, False
    missing = template.variables - params - extra
    for var in sorted(missing):
        also = f" nor one of {', '.join(sorted(extra))}" if extra else ""
        yield _at(
            shown,
            template.first_line(var),
            "TPL002",
            f"'{var}' is not a declared parameter{also}",
            hint=f"declare parameters.{var} in manifest.yaml",
        )
    return template, not missing


def _build_templates(ctx, bundle, params):
    """The build inputs of a package-build/v1 section: each template reads only
    parameters and the names a build gives it, and renders for every project
    (and every unit) the bundle packages. Returns the parameters they use."""
    from ..pkgbuild import INTERFACE

    if INTERFACE not in bundle.implements():
        return set()  # no build: the build pipeline (pbr and all) is not even imported
    from ..pkgbuild import plan  # imports this module; only needed for such bundles

    sec = plan.section(bundle)
    templates = sec.get("templates") if isinstance(sec.get("templates"), dict) else {}
    projects = []
    for name in sec.get("projects") or {}:
        try:
            projects.append(plan.project(ctx, bundle, name))
        except plan.PlanError:
            continue  # the pkgbuild family reports it
    build = plan.sample_build(sec.get("family"))
    samples = bundle.sample_values()
    used: set[str] = set()
    for key, rel in templates.items():
        if not isinstance(rel, str):
            continue
        try:
            path = plan.template_path(bundle, key)
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            yield _at(f"{bundle.ref}/{rel}", 1, "TPL004", exc.reason)
            continue
        except (plan.PlanError, OSError):
            continue  # the pkgbuild family reports it
        shown = f"{bundle.ref}/{rel}"
        compiled, ok = yield from _compile(shown, text, params.keys(), plan.BUILD_NAMES)
        used |= compiled.variables if compiled else set()
        if compiled:
            yield from _escapes(shown, compiled, free_text(params), plan.LANGUAGES.get(key))
        if not ok:
            continue
        for proj in projects:
            problem = None
            for item in plan.renderings(key, proj):
                try:
                    compiled.render(plan.values(ctx, bundle, samples, proj, build, item, key))
                except TemplateProblem as exc:
                    problem = exc
                    break
            if problem:
                yield _at(
                    shown,
                    problem.line,
                    "TPL003",
                    f"does not render for project {proj['name']}: {problem.message}",
                )
                break
    return used & params.keys()


def _at(path: str, line: int, code: str, message: str, hint: str = ""):
    return Finding(code, path, message, line, 1, hint)

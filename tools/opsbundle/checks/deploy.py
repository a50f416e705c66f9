"""What a consumer runs and edits for each file (render-index/v1): commands
named from the interface's vocabulary only, actions that say one thing,
main-configuration edits that are complete, render, and hold no secret, and
owned directories that are real parents of the bundle's files."""

from __future__ import annotations

import re

from ..interfaces import interface_data
from ..paths import dest_problem, source_problem
from ..render_index import edit_templates, vocabulary
from ..templating import TemplateProblem, compiled

_MODE = re.compile(r"^0?[0-7]{3,4}$")


def check(ctx, bundle):
    doc = bundle.manifest
    words = vocabulary(ctx.registry)
    params = bundle.parameters()
    dests = []
    for i, entry in bundle.files():
        if isinstance(entry.get("dest"), str):
            dests.append(entry["dest"])
        yield from _named(doc, words, "validate", entry.get("validate"), ("files", i, "validate"))
        for j, action in enumerate(_dicts(entry.get("actions"))):
            where = ("files", i, "actions", j)
            service, apply = action.get("service"), action.get("apply")
            if bool(service) == bool(apply) or (apply and "action" in action):
                yield doc.finding(
                    "DEP002",
                    where,
                    "an action is either {service, action} or {apply}",
                    hint="e.g. {service: rsyslog, action: restart} or {apply: sensuctl-create}",
                )
            elif apply:
                yield from _named(doc, words, "apply", apply, (*where, "apply"))
        for j, edit in enumerate(_dicts(entry.get("edits"))):
            yield from _edit(doc, bundle, words, edit, ("files", i, "edits", j))
    yield from _edit_templates(ctx, bundle, doc, params)
    yield from _directories(doc, bundle, dests)


def _dicts(value):
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _named(doc, words, kind, name, where):
    if isinstance(name, str) and name not in words[kind]:
        known = ", ".join(sorted(words[kind])) or "none"
        yield doc.finding("DEP001", where, f"no {kind} command '{name}'", hint=f"one of: {known}")


def _edit(doc, bundle, words, edit, where):
    yield from _named(doc, words, "validate", edit.get("validate"), (*where, "validate"))
    target = edit.get("file")
    if isinstance(target, str) and dest_problem(target):
        yield doc.finding("DEP003", (*where, "file"), dest_problem(target)[1])
    kind = edit.get("kind")
    if kind == "line" and (not isinstance(edit.get("line"), str) or "source" in edit):
        yield doc.finding("DEP003", where, "a line edit has `line` (and no `source`)")
    elif kind in ("block", "yaml"):
        source = edit.get("source")
        if not isinstance(source, str) or "line" in edit:
            yield doc.finding("DEP003", where, f"a {kind} edit has `source` (and no `line`)")
        elif source_problem(bundle.path, source):
            yield doc.finding("DEP003", (*where, "source"), source_problem(bundle.path, source)[1])


def _edit_templates(ctx, bundle, doc, params):
    """Edits render with the file's values and land in index.json: declared
    parameters only, no secret, and they must render with the samples."""
    values = {**bundle.sample_values(), "interface": interface_data(ctx, bundle)}
    for where, name, text in edit_templates(bundle):
        try:
            template = compiled(text)
        except TemplateProblem as exc:
            yield doc.finding("TPL001", where, f"{name}:{exc.line}: {exc.message}")
            continue
        undeclared = sorted(template.variables - params.keys())
        for var in undeclared:
            yield doc.finding(
                "TPL002", where, f"edit uses '{var}', which is not a declared parameter"
            )
        secret = sorted(v for v in template.variables if params.get(v, {}).get("secret"))
        if secret:
            yield doc.finding(
                "DEP005",
                where,
                f"edit uses secret parameter(s) {', '.join(secret)}",
                hint="put the secret in a file of its own (mode 0640 or 0600) and edit in its path",
            )
        if not undeclared:
            try:
                template.render(values)
            except TemplateProblem as exc:
                yield doc.finding("TPL003", where, f"{name}:{exc.line}: {exc.message}")


def _directories(doc, bundle, dests):
    dirs = bundle.data.get("directories")
    for k, d in enumerate(dirs if isinstance(dirs, list) else []):
        if not isinstance(d, dict) or not isinstance(d.get("path"), str):
            continue
        path, where = d["path"], ("directories", k, "path")
        problem = dest_problem(path)
        if problem:
            yield doc.finding("DEP004", where, problem[1], problem[2])
        elif not any(dest.startswith(path + "/") for dest in dests):
            yield doc.finding(
                "DEP004", where, f"no file of the bundle lies under '{path}'", hint="remove it"
            )
        mode = d.get("mode")
        if not (isinstance(mode, str) and _MODE.match(mode)):
            yield doc.finding(
                "FIL007", ("directories", k, "mode"), f"mode {mode!r} is not a quoted octal mode"
            )

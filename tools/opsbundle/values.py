"""Parameter values a deployment supplies: from --values files and --set pairs,
coerced to each parameter's declared type, with every missing one named at once."""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from .bundle import Bundle, type_matches
from .load import read_yaml


class ValuesError(Exception):
    """Bad values: the message lists every problem, one per line."""


def read_values_file(path: Path) -> dict:
    doc, found = read_yaml(path, str(path))
    if found:
        raise ValuesError("\n".join(f.as_text() for f in found))
    return doc.data


def parse_sets(pairs: list[str]) -> dict:
    """`k=v` applies to every bundle declaring k; `domain/name:k=v` to one.
    The value is read as YAML, so `--set port=514` is an int and
    `--set services=[nova,glance]` a list; the declared type then decides."""
    out: dict = {}
    problems = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            problems.append(f"--set {pair!r}: expected KEY=VALUE")
            continue
        try:
            value = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            value = raw
        scope, colon, name = key.rpartition(":")
        if colon:
            out.setdefault(scope, {})[name] = value
        else:
            out[key] = value
    if problems:
        raise ValuesError("\n".join(problems))
    return out


def _coerce(kind: str, value, raw_from_cli: bool):
    if type_matches(kind, value):
        return value, True
    if kind == "str" and isinstance(value, int | float | bool) and raw_from_cli:
        return str(value), True  # --set version=1.0 means the string "1.0"
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value), True
    return value, False


def resolve(bundle: Bundle, layers: list[tuple[str, dict]]) -> dict:
    """Values for one bundle: defaults, then each layer in order (a layer is
    (origin, mapping)); global keys apply where declared, `ref` keys to that
    bundle only. Raises ValuesError naming every missing, unknown or mistyped
    value together."""
    params = bundle.parameters()
    values = {k: v["default"] for k, v in params.items() if "default" in v}
    problems = []
    for origin, layer in layers:
        scoped = layer.get(bundle.ref) if isinstance(layer.get(bundle.ref), dict) else {}
        for key, value in {**_globals(layer), **scoped}.items():
            if key not in params:
                if key in scoped:
                    close = difflib.get_close_matches(key, list(params), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    problems.append(f"{origin}: {bundle.ref} has no parameter '{key}'{hint}")
                continue
            kind = params[key].get("type", "str")
            coerced, ok = _coerce(kind, value, origin == "--set")
            if not ok:
                shown = "<secret>" if params[key].get("secret") else repr(value)
                problems.append(
                    f"{origin}: {bundle.ref} parameter '{key}' wants {kind}, got {shown}"
                )
            values[key] = coerced
    missing = [k for k, v in params.items() if k not in values]
    for key in missing:
        secret = " (secret)" if params[key].get("secret") else ""
        problems.append(
            f"{bundle.ref}: missing required parameter '{key}'{secret}: "
            f"{params[key].get('description', '')}"
        )
    if problems:
        raise ValuesError("\n".join(problems))
    return values


def _globals(layer: dict) -> dict:
    return {k: v for k, v in layer.items() if "/" not in str(k)}


def unknown_globals(bundles: list[Bundle], layers: list[tuple[str, dict]]) -> list[str]:
    """Global keys that no bundle in the render declares: almost always a typo."""
    declared = {k for b in bundles for k in b.parameters()}
    refs = {b.ref for b in bundles}
    problems = []
    for origin, layer in layers:
        for key in layer:
            if "/" in str(key):
                if key not in refs:
                    problems.append(f"{origin}: '{key}' is not a bundle being rendered")
            elif key not in declared:
                close = difflib.get_close_matches(str(key), sorted(declared), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"{origin}: no bundle being rendered has parameter '{key}'{hint}")
    return problems

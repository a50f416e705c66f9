"""Parameter values a deployment supplies: from --values files, --set pairs,
stack presets and inventories, each checked against its parameter's type and
format, with every bad, missing or unknown value named at once.

A value for a string parameter is the string as written: YAML 1.1 reads
`012345`, `1:30` and `yes` as numbers and booleans, but `--set port=012345`
for a `str` parameter means the six characters "012345", in a file too. So
each layer keeps the YAML nodes its values came from, and a string is taken
from its node, never from what YAML made of it. The nodes also say where a
bad value was written (`site.yaml:12:3`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import formats
from .bundle import Bundle, type_matches
from .findings import Finding
from .load import Document, parse_yaml, read_yaml

SET = "--set"


class ValuesError(Exception):
    """Bad values: `findings` names each one; the message lists them, one per line."""

    def __init__(self, findings: list[Finding]):
        super().__init__("\n".join(f.as_text() for f in findings))
        self.findings = findings


@dataclass
class Layer:
    """Values from one place, and the YAML each of them was written as.

    `docs` maps a key path prefix of `data` to (document, the same place's key
    path inside that document): a values file is {(): (doc, ())}, a --set pair
    {("key",): (its own doc, ())}, a stack preset {(member,): (stack manifest,
    ("bundles", i, "values"))}. `raw` keeps each --set pair's text as typed."""

    origin: str
    data: dict
    docs: dict[tuple, tuple[Document, tuple]] = field(default_factory=dict)
    raw: dict[tuple, str] = field(default_factory=dict)

    def _doc(self, keypath: tuple) -> tuple[Document, tuple] | None:
        for cut in range(len(keypath), -1, -1):
            hit = self.docs.get(tuple(keypath[:cut]))
            if hit:
                doc, inner = hit
                return doc, tuple(inner) + tuple(keypath[cut:])
        return None

    def where(self, keypath: tuple) -> tuple[str, int, int]:
        """(path, line, column) of the value at `keypath`; line 0 for --set."""
        if self.origin == SET:
            return f"{SET} {':'.join(str(k) for k in keypath[:2])}", 0, 0
        hit = self._doc(keypath)
        if hit is None:
            return self.origin, 0, 0
        doc, inner = hit
        line, col = doc.mark(inner)
        return doc.path, line, col

    def written(self, keypath: tuple) -> str | None:
        """The exact string given at `keypath` (a scalar as written), or None
        when what was given there is not a scalar."""
        if tuple(keypath) in self.raw:
            return self.raw[tuple(keypath)]
        hit = self._doc(keypath)
        node = hit[0].node(hit[1]) if hit else None
        if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
            return node.value
        return None

    def only(self, keys) -> Layer:
        """The same layer holding only `keys` (an inventory serves many bundles)."""
        return Layer(self.origin, {k: v for k, v in self.data.items() if k in keys}, self.docs)


def read_values_layer(path: Path) -> Layer:
    doc, found = read_yaml(path, str(path))
    if found:
        raise ValuesError(found)
    return Layer(str(path), doc.data, {(): (doc, ())})


def read_values_file(path: Path) -> dict:
    return read_values_layer(path).data


def set_layer(pairs: list[str]) -> Layer:
    """`k=v` applies to every bundle declaring k; `domain/name:k=v` to one.
    Each value is read by the same bounded YAML reader as files, so
    `--set port=514` is an int and `--set services=[nova,glance]` a list; a
    string parameter takes the text as written."""
    layer = Layer(SET, {})
    problems = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            problems.append(Finding("VAL005", f"{SET} {pair!r}", "expected KEY=VALUE", 0, 0))
            continue
        scope, colon, name = key.rpartition(":")
        keypath = (scope, name) if colon else (key,)
        doc, found = parse_yaml(raw.encode("utf-8"), f"{SET} {key}", object) if raw else (None, [])
        if found and found[0].code not in ("YML001", "YML005"):
            problems += [Finding(f.code, f"{SET} {key}", f.message, 0, 0, f.hint) for f in found]
            continue
        value = doc.data if doc is not None else raw
        if doc is not None:
            layer.docs[keypath] = (doc, ())
        if doc is None or not isinstance(doc.root, yaml.ScalarNode):
            layer.raw[keypath] = raw
        if colon:
            layer.data.setdefault(scope, {})[name] = value
        else:
            layer.data[key] = value
    if problems:
        raise ValuesError(problems)
    return layer


def parse_sets(pairs: list[str]) -> dict:
    return set_layer(pairs).data


def _layer(layer) -> Layer:
    if isinstance(layer, Layer):
        return layer
    origin, data = layer
    return Layer(origin, data)


def as_given(layer: Layer, keypath: tuple, spec: dict, value):
    """The value with every string of a string-taking parameter as written."""
    kind = spec.get("type", "str")
    if kind == "str":
        written = layer.written(keypath)
        return written if written is not None else value
    fmt = formats.FORMATS.get(spec.get("format"))
    if kind not in ("list", "map") or fmt is None or fmt.ints:
        return value

    def walk(path, item):
        if isinstance(item, list):
            return [walk(path + (i,), v) for i, v in enumerate(item)]
        if isinstance(item, dict):
            return {k: walk(path + (k,), v) for k, v in item.items()}
        if isinstance(item, bool | int | float) or item is None:
            written = layer.written(path)
            return written if written is not None else item
        return item

    return walk(keypath, value)


def _coerce(kind: str, value):
    if type_matches(kind, value):
        return value, True
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value), True
    return value, False


def _finding(layer: Layer, keypath: tuple, code: str, message: str, hint: str = "") -> Finding:
    path, line, col = layer.where(keypath)
    return Finding(code, path, message, line, col, hint)


def _sub(keypath: tuple) -> str:
    return "".join(f"[{k!r}]" if isinstance(k, str) else f"[{k}]" for k in keypath)


def check_value(layer: Layer, keypath: tuple, ref: str, key: str, spec: dict, value, vocab):
    """(findings, value) for one value of `ref`'s parameter `key`: its type,
    then its format, part by part."""
    kind = spec.get("type", "str")
    secret = spec.get("secret")
    value, ok = _coerce(kind, value)
    if not ok:
        shown = "<secret>" if secret else repr(value)
        got = "nothing (quote a word such as 'null')" if value is None else shown
        return [
            _finding(
                layer,
                keypath,
                "VAL002",
                f"{ref} parameter '{key}' wants {kind}, got {got}",
                hint=f"e.g. {formats.example(spec) or kind!r}" if kind == "str" else "",
            )
        ], value
    found = []
    for bad in formats.check_value(value, spec, vocab):
        shown = "<secret>" if secret else repr(bad.shown)
        found.append(
            _finding(
                layer,
                keypath + bad.keypath,
                "VAL001",
                f"{ref} parameter '{key}'{_sub(bad.keypath)}: {shown} {bad.message}",
                hint=f"{formats.describe(spec)}, e.g. {formats.example(spec)!r}",
            )
        )
    return found, value


def resolve(bundle: Bundle, layers: list, vocab: dict | None = None) -> dict:
    """Values for one bundle: defaults, then each layer in order; global keys
    apply where declared, `ref` keys to that bundle only. Raises ValuesError
    naming every missing, unknown, mistyped or malformed value together.
    `vocab` ({"services": ..., "roles": ...}) checks vocabulary formats."""
    params = bundle.parameters()
    values = {k: v["default"] for k, v in params.items() if "default" in v}
    problems: list[Finding] = []
    for layer in map(_layer, layers):
        scoped_raw = layer.data.get(bundle.ref)
        scoped = scoped_raw if isinstance(scoped_raw, dict) else {}
        entries = [((k,), k, v) for k, v in _globals(layer.data).items()]
        entries += [((bundle.ref, k), k, v) for k, v in scoped.items()]
        for keypath, key, value in entries:
            if key not in params:
                if len(keypath) == 2:
                    close = difflib.get_close_matches(str(key), list(params), n=1)
                    problems.append(
                        _finding(
                            layer,
                            keypath,
                            "VAL003",
                            f"{bundle.ref} has no parameter '{key}'",
                            hint=f"did you mean '{close[0]}'?" if close else "",
                        )
                    )
                continue
            spec = params[key]
            value = as_given(layer, keypath, spec, value)
            found, value = check_value(layer, keypath, bundle.ref, key, spec, value, vocab)
            problems += found
            values[key] = value
    for key in [k for k in params if k not in values]:
        secret = " (secret)" if params[key].get("secret") else ""
        problems.append(
            Finding(
                "VAL004",
                bundle.ref,
                f"missing required parameter '{key}'{secret}: {params[key].get('description', '')}",
                0,
                0,
                hint=f"{formats.describe(params[key])}, e.g. {formats.example(params[key])!r}"
                if "format" in params[key]
                else "",
            )
        )
    if problems:
        raise ValuesError(problems)
    return values


def _globals(layer: dict) -> dict:
    return {k: v for k, v in layer.items() if "/" not in str(k)}


def unknown_globals(
    bundles: list[Bundle], layers: list, everywhere: list[Bundle] | None = None, strict=False
) -> list[Finding]:
    """Keys no bundle of the render takes. With `everywhere` (every bundle the
    repository and the site's --path folders hold) one site values file can
    serve many renders: a section for another bundle, or a key only other
    bundles declare, is left for their render; `strict` makes those errors
    too. A key or section no bundle anywhere knows is always a typo."""
    rendered_params = {k for b in bundles for k in b.parameters()}
    rendered_refs = {b.ref for b in bundles}
    pool = bundles if strict or everywhere is None else everywhere
    declared = {k for b in pool for k in b.parameters()}
    refs = {b.ref for b in pool}
    problems = []
    for layer in map(_layer, layers):
        for key in layer.data:
            if "/" in str(key):
                if key in rendered_refs or key in refs:
                    continue
                where = (
                    "a bundle being rendered"
                    if pool is bundles
                    else "a bundle of the repository or --path"
                )
                problems.append(_finding(layer, (key,), "VAL003", f"'{key}' is not {where}"))
            elif key not in rendered_params and key not in declared:
                close = difflib.get_close_matches(str(key), sorted(declared | rendered_params), n=1)
                who = (
                    "no bundle being rendered"
                    if pool is bundles
                    else "no bundle of the repository or --path"
                )
                problems.append(
                    _finding(
                        layer,
                        (key,),
                        "VAL003",
                        f"{who} has parameter '{key}'",
                        hint=f"did you mean '{close[0]}'?" if close else "",
                    )
                )
    return problems

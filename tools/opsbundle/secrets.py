"""Secrets by reference: a secret parameter's value named where it lives and
read at render time, so it never has to be typed on a command line (where
`ps` shows it) or kept in clear in the site repository.

In any values file, or in a `--secrets-from` file:

    openstack_password: {from_env: OS_MONITORING_PASSWORD}
    monitoring/nagios:
      mysql_password: {from_file: ~/.config/opsbundles/mysql-password}

`from_env` reads an environment variable; `from_file` a file that is the
caller's own and readable by nobody else (mode 0600 or 0400), one trailing
newline dropped. A `--secrets-from` file must itself be private in the same
way, and may only hold secret parameters. A reference is refused for a
parameter that is not secret: it would hide a plain value for no reason.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .findings import Finding
from .values import Layer, ValuesError, read_values_layer

REF_KEYS = ("from_env", "from_file")
SECRETS_FROM = "--secrets-from"


def is_ref(value) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and next(iter(value)) in REF_KEYS
        and isinstance(next(iter(value.values())), str)
    )


def private_problem(path: Path) -> str | None:
    """Why `path` may not hold a secret, or None: a regular file of this
    user's that no group or other user can read or write."""
    try:
        info = path.stat()
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror}"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file"
    if info.st_uid != os.getuid():
        return f"{path} belongs to another user"
    if info.st_mode & 0o077:
        return f"{path} has mode 0{stat.S_IMODE(info.st_mode):o}: others can read it (chmod 600)"
    return None


def read_secrets_layer(path: Path) -> Layer:
    problem = private_problem(path)
    if problem:
        raise ValuesError([Finding("VAL006", str(path), problem, 0, 0)])
    layer = read_values_layer(path)
    layer.origin = f"{SECRETS_FROM} {path}"
    return layer


def _value(ref: dict) -> tuple[str | None, str]:
    kind, name = next(iter(ref.items()))
    if kind == "from_env":
        value = os.environ.get(name)
        return value, "" if value is not None else f"environment variable {name} is not set"
    path = Path(name).expanduser()
    problem = private_problem(path)
    if problem:
        return None, problem
    text = path.read_text(encoding="utf-8")
    return text[:-1] if text.endswith("\n") else text, ""


def resolve_refs(bundles, layers: list) -> list:
    """The layers with every reference replaced by the secret it names;
    ValuesError (VAL006) naming every reference that cannot be read, every
    reference for a parameter that is not secret, and every key of a
    --secrets-from file that is not a secret parameter."""
    secret = {k for b in bundles for k, v in b.parameters().items() if v.get("secret")}
    plain = {k for b in bundles for k, v in b.parameters().items() if not v.get("secret")}
    refs = {b.ref for b in bundles}
    problems: list[Finding] = []
    out = []
    for layer in layers:
        if not isinstance(layer, Layer):
            out.append(layer)
            continue
        data = dict(layer.data)
        from_secrets_file = layer.origin.startswith(SECRETS_FROM)
        # only what this render takes: other keys wait for their own render
        sections = [((), data)] + [
            ((k,), dict(v)) for k, v in data.items() if k in refs and isinstance(v, dict)
        ]
        for prefix, section in sections:
            for key, value in list(section.items()):
                if "/" in str(key) or key not in secret | plain:
                    continue
                keypath = (*prefix, key)
                if from_secrets_file and key not in secret:
                    problems.append(_finding(layer, keypath, f"'{key}' is not a secret parameter"))
                if not is_ref(value):
                    continue
                if key not in secret:
                    problems.append(
                        _finding(layer, keypath, f"'{key}' is not secret: give its value as it is")
                    )
                    continue
                resolved, why = _value(value)
                if resolved is None:
                    problems.append(_finding(layer, keypath, f"secret '{key}': {why}"))
                else:
                    section[key] = resolved
            if prefix:
                data[prefix[0]] = section
        out.append(Layer(layer.origin, data, layer.docs, layer.raw))
    if problems:
        raise ValuesError(problems)
    return out


def _finding(layer: Layer, keypath: tuple, message: str) -> Finding:
    path, line, col = layer.where(keypath)
    return Finding("VAL006", path, message, line, col)

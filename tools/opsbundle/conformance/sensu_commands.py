"""Run a sensu implementation's check commands against stand-ins.

sensu-agent runs a CheckConfig's `command` with `sh -c`, with `env_vars` and
the values of its `secrets` in the environment; this does the same for every
CheckConfig of the rendered resources (the Secret values come from the
rendered backend environment file). Sensu itself does not run here; the
plugins do. Phases: conformance/command_phases.py.
"""

from __future__ import annotations

import re

from .. import yamldata
from .command_phases import Service, run_with_standins
from .result import Result

# sensu-agent's token substitution, for the one form the bundle uses: an
# entity label with a default (the stand-in agent has no labels).
_TOKEN = re.compile(r'\{\{\s*\.labels\.[A-Za-z0-9_]+\s*\|\s*default\s+"([^"]*)"\s*\}\}')


def tokens(command: str) -> str:
    return _TOKEN.sub(lambda m: m.group(1), command)


_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"$')


def _env_value(raw: str) -> str:
    """A value as systemd's EnvironmentFile= reads it: "..." with the POSIX
    double-quote rules (a backslash keeps the next `\\`, `"`, backtick or `$`),
    else the text itself."""
    m = _QUOTED.match(raw.strip())
    if not m:
        return raw.strip()
    return re.sub(r'\\([\\"`$])', r"\1", m.group(1))


def _env_file(text: str) -> dict[str, str]:
    pairs = (ln.split("=", 1) for ln in text.splitlines() if "=" in ln and not ln.startswith("#"))
    return {k.strip(): _env_value(v) for k, v in pairs}


def services(files, work=None) -> list[Service]:
    docs, backend_env = [], {}
    for dest, path in files:
        text = path.read_text(encoding="utf-8")
        if dest.endswith(".env"):
            backend_env.update(_env_file(text))
        elif dest.endswith((".yaml", ".yml")):
            docs += [d for d in yamldata.loaded_all(text) if isinstance(d, dict)]
    secrets = {
        d["metadata"]["name"]: backend_env.get(d["spec"]["id"], "")
        for d in docs
        if d.get("type") == "Secret"
    }
    found = []
    for doc in docs:
        meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
        cid = (meta.get("labels") or {}).get("check_id")
        if doc.get("type") != "CheckConfig" or not cid:
            continue
        notes = meta.get("annotations") or {}
        env = dict(e.split("=", 1) for e in spec.get("env_vars") or [])
        env.update({s["name"]: secrets.get(s["secret"], "") for s in spec.get("secrets") or []})
        args = ["", "", notes.get("opsbundles/warning", "0"), notes.get("opsbundles/critical", "0")]
        name = notes.get("opsbundles/command", "?")
        found.append(Service(cid, name, args, ["/bin/sh", "-c", tokens(spec["command"])], env))
    return found


def run(ctx, bundle, files, work) -> list[Result]:
    return run_with_standins(ctx, bundle, work, services)

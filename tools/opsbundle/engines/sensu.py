"""Sensu Go resources against strict schemas: EMULATED, not sensu-go itself.

sensu-go cannot be installed here (no Debian package, no sensuctl; see
/work/shared/NATIVE-TOOLS.md). What this checks is only the part a backend
would check when the resources are created: each YAML document is a known
resource type whose keys, types and enums match sensu-go's reference
(engines/sensu_go.yaml, strict: unknown keys fail), names are valid, every
handler and secret a check names is defined in the same file, and a check has
an interval or a cron schedule. The check commands are proven separately, by
running them against stand-ins (`opsbundle test`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..findings import Finding

TOOL = "sensu"
BINARY = "sensu-go schema (emulated)"
BINARIES: tuple = ()  # nothing to install: always runs
PACKAGE = "none (emulated)"
EMULATED = True
_SCHEMAS = Path(__file__).with_name("sensu_go.yaml")


@cache
def schemas() -> dict:
    import yamale

    from .. import yamldata

    texts = yamldata.loaded(_SCHEMAS.read_text(encoding="utf-8"))
    return {kind: yamale.make_schema(content=text) for kind, text in texts.items()}


def problems(text: str) -> list[str]:
    """Every problem of one rendered multi-document YAML file."""
    import yamale
    import yaml

    from .. import yamldata

    try:
        docs = [d for d in yamldata.loaded_all(text) if d is not None]
    except yaml.YAMLError as exc:
        return [f"not YAML: {exc}"]
    found = []
    defined = {(d.get("type"), (d.get("metadata") or {}).get("name")) for d in docs
               if isinstance(d, dict)}  # fmt: skip
    for i, doc in enumerate(docs, 1):
        if not isinstance(doc, dict) or doc.get("type") not in schemas():
            kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
            found.append(f"document {i}: unknown resource type {kind!r}")
            continue
        name = (doc.get("metadata") or {}).get("name", "?")
        where = f"{doc['type']} {name}"
        try:
            yamale.validate(schemas()[doc["type"]], [(doc, where)], strict=True)
        except yamale.YamaleError as exc:
            found += [f"{where}: {err}" for r in exc.results for err in r.errors]
            continue
        if doc["type"] == "CheckConfig":
            spec = doc["spec"]
            if "interval" not in spec and "cron" not in spec:
                found.append(f"{where}: needs spec.interval or spec.cron")
            for handler in spec.get("handlers") or []:
                if ("Handler", handler) not in defined:
                    found.append(f"{where}: handler {handler!r} is not defined in this file")
            for secret in spec.get("secrets") or []:
                if ("Secret", secret["secret"]) not in defined:
                    found.append(
                        f"{where}: secret {secret['secret']!r} is not defined in this file"
                    )
    return found


def check(batch, workdir) -> list:
    found = []
    for rendered in batch:
        for shown, path, dest in rendered.files:
            if not dest.endswith((".yaml", ".yml")):
                continue
            for problem in problems(path.read_text(encoding="utf-8")):
                found.append(
                    Finding("NAT003", shown, f"sensu-go schema: rendered {dest}: {problem}",
                            bundle=rendered.ref)
                )  # fmt: skip
    return found

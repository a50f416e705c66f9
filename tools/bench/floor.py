"""The library floor of a cold `opsbundle validate --no-native`: only the work
the libraries do, done the most direct way, for the same bundles.

    python floor.py ROOT

For every tool bundle under ROOT: PyYAML's C loader reads manifest.yaml and
changelog.yaml; yamale validates the manifest, each implemented interface's
section and the changelog against their schemas; Jinja2's sandbox (the same
environment settings) compiles every distinct template text once (bundles
that copy a file share it) and renders it with the bundle's defaults and
examples. Nothing else: no line marks, no rules of our own, no findings.
`opsbundle validate` does all of this and its own checks on top; the bench
divides the two (our overhead) in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yamale
import yaml
from jinja2 import StrictUndefined, pass_eval_context
from jinja2.sandbox import ImmutableSandboxedEnvironment

PLACEHOLDERS = {"str": "placeholder", "int": 1, "float": 1.0, "bool": True,
                "list": ["placeholder"], "map": {"placeholder": "placeholder"}}  # fmt: skip


@pass_eval_context
def as_is(eval_ctx, value):
    return value


def load(path: Path):
    return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


def main(root: Path) -> None:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=as_is,  # as templating's: no constant computed while compiling
        optimized=False,
    )
    base = root / "interfaces"
    manifest = yamale.make_schema(str(base / "manifest/v1/schema.yaml"), parser="PyYAML")
    changelog = yamale.make_schema(str(base / "manifest/v1/changelog.yaml"), parser="PyYAML")
    sections, data, templates = {}, {}, {}
    for vdir in sorted(base.glob("*/v*")):
        if vdir.parent.name == "manifest" or not vdir.is_dir():
            continue
        ref = f"{vdir.parent.name}/{vdir.name}"
        if (vdir / "schema.yaml").is_file():
            sections[ref] = yamale.make_schema(str(vdir / "schema.yaml"), parser="PyYAML")
        data[ref] = {}
        for extra in sorted(vdir.glob("*.yaml")):
            if extra.name not in ("interface.yaml", "schema.yaml"):
                data[ref].update(load(extra) or {})
        load(vdir / "interface.yaml")
    load(base / "vocabulary.yaml")
    for top in ("logging", "monitoring", "packaging"):
        if not (root / top).is_dir():
            continue
        for bdir in sorted((root / top).iterdir()):
            doc = load(bdir / "manifest.yaml")
            manifest.validate(doc, str(bdir), True)
            for ref, section in (doc.get("implements") or {}).items():
                if ref in sections:
                    sections[ref].validate(section, str(bdir), True)
            changelog.validate(load(bdir / "changelog.yaml"), str(bdir), True)
            values = {}
            for name, spec in (doc.get("parameters") or {}).items():
                values[name] = spec.get("default", spec.get("example", PLACEHOLDERS[spec["type"]]))
            values["interface"] = {r: data[r] for r in doc.get("implements") or {} if r in data}
            for entry in doc.get("files") or []:
                if entry.get("template"):
                    text = (bdir / entry["source"]).read_text(encoding="utf-8")
                    if text not in templates:
                        templates[text] = env.from_string(text)
                    templates[text].render(values)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

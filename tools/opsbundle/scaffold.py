"""`opsbundle new`: a bundle that validates as it stands, to edit from there.

The scaffold declares every parameter of the interfaces it implements (that is
what implementing them means) and one template that uses them all, so the
contributor starts from green and sees at once where each part goes.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import tempfile
from pathlib import Path

import yaml

from . import formats, repo
from .interfaces import Registry

NAME = re.compile(r"^(logging|monitoring|packaging)/([a-z0-9][a-z0-9-]{0,62})$")
# The tool's name lands in paths (/etc/<tool>/...) and in the manifest: a package name.
TOOL = re.compile(r"[a-z0-9][a-z0-9.+_-]{0,62}")


class ScaffoldError(Exception):
    pass


def _dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


def create(
    root: Path,
    ref: str,
    tool: str,
    implements: list[str],
    services: list[str],
    maintainer: str,
) -> Path:
    if not TOOL.fullmatch(tool or ""):
        raise ScaffoldError(
            f"--tool {tool!r} is not a tool name (lower-case letters, digits and . _ + -, "
            "as a package is named)"
        )
    m = NAME.match(ref)
    if not m:
        raise ScaffoldError(
            f"'{ref}' is not <domain>/<name> with domain logging, monitoring or packaging "
            "and a lower-case name"
        )
    target = root / ref
    if target.exists():
        raise ScaffoldError(f"{ref} already exists")
    registry = Registry(root)
    params: dict = {}
    sections: dict = {}
    for iface_ref in implements:
        iface = registry.interfaces.get(iface_ref)
        if iface is None:
            known = ", ".join(sorted(registry.interfaces)) or "none"
            raise ScaffoldError(f"unknown interface '{iface_ref}' (known: {known})")
        if iface.status != "stable":
            hint = f"; use {iface.replaced_by}" if iface.replaced_by else ""
            raise ScaffoldError(f"interface '{iface_ref}' is {iface.status}{hint}")
        sections[iface_ref] = dict(iface.scaffold)
        for pname, spec in iface.parameters.items():
            param = {"type": spec["type"], "description": spec["description"]}
            param.update({k: spec[k] for k in sorted(formats.ARGUMENTS) if k in spec})
            if "default" in spec:
                param["default"] = spec["default"]
            else:
                param["required"] = True
                if "example" in spec:
                    param["example"] = spec["example"]
            if spec.get("secret"):
                param["secret"] = True
            params[pname] = param
    if not services:
        raise ScaffoldError("name at least one --service the bundle covers")
    unknown = [s for s in services if s not in registry.services]
    if unknown:
        raise ScaffoldError(
            f"unknown service(s): {', '.join(unknown)} (see interfaces/vocabulary.yaml)"
        )
    domain, name = m.groups()
    if not params:
        params["example_setting"] = {
            "type": "str",
            "format": "identifier",
            "description": "An example parameter; replace it with real ones.",
            "default": "example",
        }
    manifest = {
        "format_version": 1,
        "name": name,
        "domain": domain,
        "summary": f"{tool} configuration for OpenStack (edit this line)",
        "license": "Apache-2.0",
        "maintainers": [{"name": maintainer}],
        "version": "0.1.0",
        "tool": {
            "name": tool,
            "versions": [">=0"],
            "packages": {"debian": [tool], "redhat": [tool]},
            "reload": {"service": tool, "action": "reload"},
        },
    }
    if sections:
        manifest["implements"] = sections
    manifest.update(
        {
            "services": services,
            "parameters": params,
            "files": [
                {
                    "source": f"files/{name}.conf.j2",
                    "dest": f"/etc/{tool}/conf.d/opsbundles-{name}.conf",
                    # a file that holds a secret is not for every user's eyes
                    "mode": "0640" if any(p.get("secret") for p in params.values()) else "0644",
                    "roles": ["all"],
                    "template": True,
                }
            ],
        }
    )
    changelog = {
        "releases": [
            {
                "version": "0.1.0",
                "date": datetime.date.today(),
                "changes": [{"description": "First version.", "type": "enhancement"}],
            }
        ]
    }
    # free text is written only through the escape filter of the tool's
    # language, which the scaffold cannot know: the template leaves it out
    template = "".join(
        f"# {p}: {{{{ {p} }}}}\n" for p, spec in params.items() if not formats.is_free_text(spec)
    )
    readme = _README.format(ref=ref, tool=tool, name=name)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target.parent))
    try:
        (staging / "files").mkdir()
        (staging / "tests").mkdir()
        (staging / "manifest.yaml").write_text(
            "# The bundle manifest: interfaces/manifest/v1/schema.yaml says what each key means.\n"
            + _dump(manifest),
            encoding="utf-8",
        )
        (staging / repo.CHANGELOG).write_text(_dump(changelog), encoding="utf-8")
        (staging / "files" / f"{name}.conf.j2").write_text(
            f"# Managed by opsbundles ({ref}); replace with the real {tool} configuration.\n"
            + template,
            encoding="utf-8",
        )
        (staging / "tests" / "values.yaml").write_text(
            "# Values a deployment might pass: opsbundle render "
            f"{ref} -o OUT --values {ref}/tests/values.yaml\n"
            + _dump(
                {
                    k: v.get("example", v.get("default"))
                    for k, v in params.items()
                    if not v.get("secret")  # a secret never lands in a file of the bundle
                }
            ),
            encoding="utf-8",
        )
        (staging / "README.md").write_text(readme, encoding="utf-8")
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


_README = """# {ref}

{tool} configuration for OpenStack. Replace this paragraph with what the bundle
does and for which services.

## Parameters
See `parameters` in `manifest.yaml`; `opsbundle show {ref}` lists them.

## Render
    opsbundle render {ref} -o out/ --values {ref}/tests/values.yaml

## Checks
Say here which checks run the real {tool} and which are emulated.
"""

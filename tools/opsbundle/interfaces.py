"""The versioned contracts under `interfaces/`, read once per run.

`interfaces/<name>/v<major>/` holds `interface.yaml` (status, parameters every
implementation declares), `schema.yaml` (yamale schema of the manifest section)
and any other YAML files, which templates of implementing bundles read as
`interface['<name>/v<major>']`. The manifest formats themselves live in
`interfaces/manifest/v<format_version>/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yamale

from . import formats
from .findings import Finding
from .load import read_yaml

REF = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]*)/v(?P<major>\d+)$")
MANIFEST_FORMATS = "manifest"
_OWN_FILES = {"interface.yaml", "schema.yaml"}


@dataclass
class Interface:
    ref: str
    status: str
    summary: str
    replaced_by: str = ""
    since: str = ""
    parameters: dict = field(default_factory=dict)
    scaffold: dict = field(default_factory=dict)
    schema: object = None  # yamale.schema.Schema, or None when the section is free-form
    data: dict = field(default_factory=dict)


@dataclass
class ManifestFormat:
    version: int
    manifest: object
    stack: object
    changelog: object


class Registry:
    """Every interface and manifest format, the vocabulary, and whatever is
    wrong with them (reported as findings, so a broken contract is visible)."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Finding] = []
        self.interfaces: dict[str, Interface] = {}
        self.formats: dict[int, ManifestFormat] = {}
        self.services: dict[str, str] = {}
        self.roles: dict[str, str] = {}
        self._load_vocabulary()
        self._load_interfaces()

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _schema(self, path: Path):
        try:
            return yamale.make_schema(str(path), parser="PyYAML")
        except (SyntaxError, ValueError, OSError) as exc:
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            self.problems.append(Finding("SCH001", self._rel(path), f"broken schema: {first}"))
            return None

    def _load_vocabulary(self) -> None:
        path = self.root / "interfaces" / "vocabulary.yaml"
        doc, found = read_yaml(path, self._rel(path))
        self.problems += found
        if doc:
            self.services = dict(doc.data.get("services") or {})
            self.roles = dict(doc.data.get("roles") or {})

    def _load_interfaces(self) -> None:
        base = self.root / "interfaces"
        meta_schema = self._schema(base / "interface.schema.yaml")
        for vdir in sorted(base.glob("*/v*")):
            if not vdir.is_dir() or not vdir.name[1:].isdigit():
                continue
            major = int(vdir.name[1:])
            if vdir.parent.name == MANIFEST_FORMATS:
                self.formats[major] = ManifestFormat(
                    major,
                    self._schema(vdir / "schema.yaml"),
                    self._schema(vdir / "stack.yaml"),
                    self._schema(vdir / "changelog.yaml"),
                )
                continue
            self._load_interface(vdir, major, meta_schema)

    def _load_interface(self, vdir: Path, major: int, meta_schema) -> None:
        ref = f"{vdir.parent.name}/v{major}"
        meta_path = vdir / "interface.yaml"
        doc, found = read_yaml(meta_path, self._rel(meta_path))
        self.problems += found
        if doc is None:
            return
        if meta_schema is not None:
            result = meta_schema.validate(doc.data, doc.path, True)
            for err in result.errors:
                self.problems.append(Finding("SCH001", doc.path, f"interface definition: {err}"))
            if result.errors:
                return
        meta = doc.data
        self._check_formats(doc)
        schema_path = vdir / "schema.yaml"
        data: dict = {}
        for extra in sorted(vdir.glob("*.yaml")):
            if extra.name in _OWN_FILES:
                continue
            edoc, found = read_yaml(extra, self._rel(extra))
            self.problems += found
            if edoc:
                data.update(edoc.data)
        self.interfaces[ref] = Interface(
            ref=ref,
            status=meta["status"],
            summary=meta["summary"],
            replaced_by=meta.get("replaced_by", ""),
            since=str(meta.get("since", "")),
            parameters=meta.get("parameters") or {},
            scaffold=meta.get("scaffold") or {},
            schema=self._schema(schema_path) if schema_path.is_file() else None,
            data=data,
        )

    def _check_formats(self, doc) -> None:
        """An interface names the format of each parameter it names, so every
        implementation checks a value the same way."""
        for name, spec in (doc.data.get("parameters") or {}).items():
            key = ("parameters", name)
            if "format" not in spec:
                if formats.holds_strings(spec):
                    self.problems.append(
                        doc.finding(
                            "PAR007",
                            key,
                            f"interface parameter '{name}' takes strings but declares no format",
                            at_key=True,
                        )
                    )
                continue
            for problem in formats.declaration_problems(spec, spec.get("type")):
                message = f"interface parameter '{name}': {problem}"
                self.problems.append(doc.finding("PAR008", key + ("format",), message))

    def folder(self, ref: str) -> Path:
        """interfaces/<name>/v<major>/ of an interface or manifest format ref."""
        return self.root / "interfaces" / ref

    def majors(self, name: str) -> list[str]:
        return sorted(r for r in self.interfaces if r.split("/")[0] == name)


def interface_data(ctx, bundle) -> dict:
    """What templates see as `interface[...]`: the data files of each
    interface the bundle implements."""
    reg = ctx.registry.interfaces
    return {ref: reg[ref].data for ref in bundle.implements() if ref in reg}

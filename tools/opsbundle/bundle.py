"""A bundle as read from disk: its manifest document and typed views of it.

Checks run on every bundle even when its manifest is partly wrong (one finding
must never hide the others), so the views below return only the well-formed
parts and leave it to the schema check to report the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding
from .load import Document, read_yaml
from .paths import source_problem
from .repo import CHANGELOG, MANIFEST, BundleDir

# Values a template sees for a parameter that has neither default nor example.
PLACEHOLDERS = {
    "str": "placeholder",
    "int": 1,
    "float": 1.0,
    "bool": True,
    "list": ["placeholder"],
    "map": {"placeholder": "placeholder"},
}
PY_TYPES = {
    "str": (str,),
    "int": (int,),
    "float": (float, int),
    "bool": (bool,),
    "list": (list,),
    "map": (dict,),
}


def type_matches(kind: str, value) -> bool:
    if kind in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, PY_TYPES.get(kind, (object,)))


@dataclass
class Bundle:
    dir: BundleDir
    manifest: Document | None
    load_findings: list[Finding] = field(default_factory=list)
    # what this run already worked out about the bundle (a Bundle lives for one run)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def once(self, key, make):
        """`make()`, the first time `key` is asked for on this bundle: the
        checks, the render and a build ask for the same paths and data."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def source_problem(self, source: str) -> tuple[str, str] | None:
        """paths.source_problem for this bundle, resolved once."""
        return self.once(("source", source), lambda: source_problem(self.path, source))

    @property
    def ref(self) -> str:
        return self.dir.ref

    @property
    def path(self) -> Path:
        return self.dir.path

    @property
    def is_stack(self) -> bool:
        return self.dir.is_stack

    @property
    def data(self) -> dict:
        return self.manifest.data if self.manifest else {}

    @property
    def version(self) -> str | None:
        v = self.data.get("version")
        return v if isinstance(v, str) else None

    def text(self, key: str) -> str | None:
        """A top-level scalar as text (None when missing or not a scalar), for
        listings that must show a manifest `validate` reports, not crash on it."""
        value = self.data.get(key)
        if isinstance(value, bool) or value is None or isinstance(value, list | dict):
            return None
        return str(value)

    def words(self, key: str) -> list[str]:
        value = self.data.get(key)
        return [w for w in value if isinstance(w, str)] if isinstance(value, list) else []

    def tool(self) -> dict:
        tool = self.data.get("tool")
        return tool if isinstance(tool, dict) else {}

    def parameters(self) -> dict[str, dict]:
        params = self.data.get("parameters")
        if not isinstance(params, dict):
            return {}
        return {k: v for k, v in params.items() if isinstance(k, str) and isinstance(v, dict)}

    def files(self) -> list[tuple[int, dict]]:
        files = self.data.get("files")
        if not isinstance(files, list):
            return []
        return [(i, f) for i, f in enumerate(files) if isinstance(f, dict)]

    def implements(self) -> dict:
        imp = self.data.get("implements")
        return imp if isinstance(imp, dict) else {}

    def requires(self) -> list[str]:
        req = self.data.get("requires")
        return [r for r in req if isinstance(r, str)] if isinstance(req, list) else []

    def members(self) -> list[tuple[int, dict]]:
        members = self.data.get("bundles")
        if not isinstance(members, list):
            return []
        return [(i, m) for i, m in enumerate(members) if isinstance(m, dict)]

    def reload(self) -> dict | None:
        reload = self.tool().get("reload")
        return reload if isinstance(reload, dict) else None

    def sample_values(self) -> dict:
        """The values a template is proven against: default, else example,
        else a placeholder of the declared type."""
        values = {}
        for name, spec in self.parameters().items():
            if "default" in spec:
                values[name] = spec["default"]
            elif "example" in spec:
                values[name] = spec["example"]
            else:
                values[name] = PLACEHOLDERS.get(spec.get("type"), "placeholder")
        return values


def load_bundle(root: Path, bdir: BundleDir) -> Bundle:
    path = bdir.path / MANIFEST
    display = f"{bdir.ref}/{MANIFEST}"
    if not path.is_file():
        return Bundle(
            bdir,
            None,
            [
                Finding(
                    "MAN003",
                    f"{bdir.ref}/",
                    "bundle directory has no manifest.yaml",
                    hint="create one with `opsbundle new`, or remove the directory",
                    bundle=bdir.ref,
                )
            ],
        )
    doc, found = read_yaml(path, display)
    return Bundle(bdir, doc, found)


def load_changelog(bundle: Bundle) -> tuple[Document | None, list[Finding]]:
    path = bundle.path / CHANGELOG
    if not path.is_file():
        return None, [
            Finding(
                "CHG001",
                f"{bundle.ref}/{CHANGELOG}",
                "changelog.yaml is missing",
                hint="every version needs an entry: releases: [{version, changes: [...]}]",
            )
        ]
    return read_yaml(path, f"{bundle.ref}/{CHANGELOG}")

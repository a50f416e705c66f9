"""Everything the catalog shows, gathered once from the repository through the
project's own loaders (checks.Context, the interface registry, coverage),
and the cross references between bundles, interfaces, checks, services and
roles that make every page link to the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog as service_checks
from ..checks import Context
from ..repo import DOMAINS, STACKS
from . import logfields, matrix, urls
from .bundles import BundleView, File, view
from .contracts import Contract, contracts
from .results import Results


@dataclass
class Catalog:
    root: Path
    bundles: list[BundleView]
    contracts: list[Contract]
    matrix: matrix.Matrix
    logfields: logfields.LogFields | None
    services: dict[str, str]
    roles: dict[str, str]
    results: Results | None = None
    problems: list[str] = field(default_factory=list)
    readmes: dict[str, str] = field(default_factory=dict)  # top-level folder -> README

    def __post_init__(self):
        self.by_ref = {b.ref: b for b in self.bundles}
        self.by_contract = {c.ref: c for c in self.contracts}

    # ---- bundles
    def tool_bundles(self) -> list[BundleView]:
        return [b for b in self.bundles if not b.is_stack]

    def stacks(self) -> list[BundleView]:
        return [b for b in self.bundles if b.is_stack]

    def domains(self) -> list[tuple[str, list[BundleView]]]:
        out: dict[str, list[BundleView]] = {}
        for b in self.bundles:
            out.setdefault(b.domain, []).append(b)
        return sorted(out.items(), key=lambda kv: (kv[0] == "stack", kv[0]))

    def folders(self) -> list[tuple[str, list[BundleView]]]:
        """Top-level folders of bundles (logging, ..., bundles) and what they hold."""
        return [
            (top, [b for b in self.bundles if b.ref.split("/")[0] == top])
            for top in (*DOMAINS, STACKS)
            if top in self.readmes or any(b.ref.split("/")[0] == top for b in self.bundles)
        ]

    def tools(self) -> list[tuple[str, list[BundleView]]]:
        out: dict[str, list[BundleView]] = {}
        for b in self.tool_bundles():
            out.setdefault(b.tool or "(none)", []).append(b)
        return sorted(out.items())

    def services_of(self, bundle: BundleView) -> list[str]:
        """A tool bundle's services; a stack's are its members'."""
        if not bundle.is_stack:
            return bundle.services
        seen: list[str] = []
        for m in bundle.members:
            member = self.by_ref.get(m.ref)
            for s in member.services if member else []:
                if s not in seen:
                    seen.append(s)
        return seen

    def interfaces_of(self, bundle: BundleView) -> list[str]:
        return bundle.provides if bundle.is_stack else list(bundle.implements)

    def covering(self, service: str) -> list[BundleView]:
        return [b for b in self.bundles if service in self.services_of(b)]

    # ---- interfaces
    def implementers(self, ref: str) -> list[BundleView]:
        return [b for b in self.tool_bundles() if ref in b.implements]

    def providers(self, ref: str) -> list[BundleView]:
        return [b for b in self.stacks() if ref in b.provides]

    def other_majors(self, ref: str) -> list[str]:
        name = ref.split("/")[0]
        return [c.ref for c in self.contracts if c.name == name and c.ref != ref]

    def page_of_interface_data(self, ref: str) -> tuple[str, str] | None:
        """(page, label) of the page that tabulates an interface's data."""
        if ref == service_checks.INTERFACE:
            return urls.COVERAGE, "the coverage matrix"
        if ref == logfields.INTERFACE and self.logfields is not None:
            return urls.LOG_FIELDS, "the log-fields table"
        return None

    def known_interface(self, ref: str) -> bool:
        return ref in self.by_contract

    # ---- checks
    def checks_of(self, service: str) -> list[str]:
        return [c for c in self.matrix.checks if self.matrix.service_of(c) == service]

    def checks_on_role(self, role: str) -> list[str]:
        return [c for c, e in self.matrix.checks.items() if e.get("role") == role]

    def files_on_role(self, role: str) -> list[tuple[BundleView, File]]:
        return [(b, f) for b in self.tool_bundles() for f in b.files if role in f.roles]

    def emitted_by(self, ref: str) -> list[str]:
        return [c for c in self.matrix.checks if self.matrix.cell(c, ref).state == "yes"]

    def gaps_of(self, ref: str) -> list[tuple[str, matrix.Cell]]:
        """(check, cell) of every check an implementation does not emit."""
        if ref not in self.matrix.tools:
            return []
        rows = [(cid, self.matrix.cell(cid, ref)) for cid in self.matrix.rows()]
        return [(cid, cell) for cid, cell in rows if cell.state not in ("yes", "-")]

    # ---- formats and languages
    def parameters_of_format(self, name: str) -> list[tuple[BundleView, str]]:
        return [(b, p.name) for b in self.bundles for p in b.parameters if p.format == name]

    def files_in(self, language: str) -> list[tuple[BundleView, File]]:
        return [(b, f) for b in self.tool_bundles() for f in b.files if f.language == language]

    # ---- log records
    def kinds_of(self, service: str) -> list[str]:
        return self.logfields.services().get(service, []) if self.logfields else []

    # ---- links from READMEs
    def page_for(self, repo_path: str) -> str | None:
        """The site page of a repository path a README links to, if any."""
        parts = repo_path.strip("/").split("/")
        if repo_path in ("README.md", "."):
            return urls.INDEX
        if repo_path == "interfaces/vocabulary.yaml":
            return urls.VOCABULARY
        if len(parts) == 1 or parts[1:] == ["README.md"]:
            if parts[0] == "interfaces":
                return urls.INTERFACES
            return urls.folder(parts[0]) if parts[0] in dict(self.folders()) else None
        if parts[0] == "interfaces" and len(parts) >= 3:
            ref = "/".join(parts[1:3])
            if ref in self.by_contract:
                rest = "/".join(parts[3:])
                if ref == logfields.INTERFACE and rest == "fields.yaml":
                    return urls.LOG_FIELDS
                if ref == service_checks.INTERFACE and rest == "catalog.yaml":
                    return urls.COVERAGE
                return urls.interface(ref) if rest in ("", "README.md") or len(parts) == 4 else None
            return None
        if len(parts) >= 2 and "/".join(parts[:2]) in self.by_ref:
            rest = "/".join(parts[2:])
            if rest in ("", "README.md", "manifest.yaml", "changelog.yaml"):
                return urls.bundle("/".join(parts[:2]))
        return None


def _readmes(root: Path) -> dict[str, str]:
    out = {}
    for top in ("interfaces", *DOMAINS, STACKS):
        path = root / top / "README.md"
        try:
            out[top] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return out


def gather(root: Path, results: Results | None = None, ctx: Context | None = None) -> Catalog:
    ctx = ctx or Context.for_repo(root)
    bundles = [view(ctx, ctx.bundle(ref)) for ref in sorted(ctx.bundle_dirs)]
    return Catalog(
        root=root,
        bundles=bundles,
        contracts=contracts(ctx.registry),
        matrix=matrix.build(ctx),
        logfields=logfields.build(ctx),
        services=dict(ctx.registry.services),
        roles=dict(ctx.registry.roles),
        results=results,
        problems=[f.as_text() for f in ctx.registry.problems],
        readmes=_readmes(root),
    )

"""What a bundle's page shows, read through bundle.py and nothing else.

The site is built from whatever is in the repository, including a manifest
that `validate` would refuse, so every view below takes only the well-formed
parts (as bundle.py's own views do) and never raises on a wrong type.

A secret parameter shows its name, type, format and description only: its
default and example are dropped here, before any template sees them, so no
page can print a secret's value even when a manifest wrongly carries one.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field

from ..bundle import Bundle, load_changelog
from ..templating import TemplateProblem, compiled
from .reference import described

README = "README.md"
# What a secret parameter may show besides its name: never a value.
_SECRET_SAFE = ("format", "choices", "pattern", "schemes", "vocabulary", "min", "max")
_PARAM_OWN = ("type", "description", "required", "secret", "default", "example", "format")
# The reviewed commands a manifest names (render-index/v1): files[].validate,
# files[].actions[].apply and files[].edits[].validate are names in it.
COMMANDS_INTERFACE = "render-index/v1"


def shown(value) -> str:
    """A parameter value as one line of text: strings as they are, the
    rest as JSON (lists, maps, numbers, true/false)."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.date):  # YAML reads 2026-11-27 as a date
        return value.isoformat()
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _strings(value) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str | int | float)]


@dataclass
class Parameter:
    name: str
    type: str
    description: str
    required: bool
    secret: bool
    format: str = ""
    format_rule: str = ""  # "host (a host name or an IP address)"
    default: str | None = None
    example: str | None = None
    constraints: dict[str, str] = field(default_factory=dict)


def parameter(name: str, spec: dict) -> Parameter:
    secret = bool(spec.get("secret"))
    keep = _SECRET_SAFE if secret else tuple(k for k in spec if k not in _PARAM_OWN)
    return Parameter(
        name=name,
        type=_text(spec.get("type")) or "?",
        description=_text(spec.get("description")),
        required=bool(spec.get("required")),
        secret=secret,
        format=_text(spec.get("format")),
        format_rule=described(spec),
        default=None if secret or "default" not in spec else shown(spec["default"]),
        example=None if secret or "example" not in spec else shown(spec["example"]),
        constraints={k: shown(spec[k]) for k in keep if k in spec and k != "format"},
    )


def parameters(specs: dict) -> list[Parameter]:
    return [parameter(n, s) for n, s in specs.items() if isinstance(n, str) and isinstance(s, dict)]


def commands(registry) -> dict[str, dict]:
    """{'validate': {name: command}, 'apply': {...}} from render-index/v1's
    reviewed list, empty where the repository has none."""
    iface = registry.interfaces.get(COMMANDS_INTERFACE)
    data = iface.data.get("render_commands") if iface else None
    out: dict[str, dict] = {"validate": {}, "apply": {}}
    for kind in out:
        section = data.get(kind) if isinstance(data, dict) else None
        for name, spec in (section or {}).items() if isinstance(section, dict) else ():
            if isinstance(spec, dict) and spec.get("command"):
                out[kind][str(name)] = " ".join(str(spec["command"]).split())
    return out


def _named(kind: str, name, words: dict) -> str:
    """'promtool-rules: promtool check rules %s', or the bare name."""
    name = shown(name)
    command = words.get(kind, {}).get(name)
    return f"{name}: {command}" if command else name


def action(value, words: dict) -> str:
    """What runs once a file changed: "restart rsyslog", or the name (and
    command) of an apply step."""
    if not isinstance(value, dict):
        return shown(value) if value else ""
    if value.get("apply"):
        return "apply " + _named("apply", value["apply"], words)
    service = shown(value.get("service", "?"))
    return f"{shown(value.get('action', 'restart'))} {service}"


def edit(value) -> str:
    """A main-configuration edit a file needs: where, and what."""
    if not isinstance(value, dict):
        return shown(value)
    where = shown(value.get("file", "?"))
    kind = shown(value.get("kind", "edit"))
    what = value.get("line") or value.get("source") or ""
    return f"{kind} in {where}: {shown(what)}" if what else f"{kind} in {where}"


@dataclass
class File:
    dest: str
    source: str
    mode: str
    owner: str
    group: str
    roles: list[str]
    template: bool
    language: str
    uses: list[tuple[str, bool]]  # (parameter, is secret) the template reads
    actions: list[tuple[str, str]]  # (validate | after a change | edit, what)


def _uses(bundle: Bundle, entry: dict, secrets: set[str]) -> list[tuple[str, bool]]:
    source = entry.get("source")
    if not entry.get("template") or not isinstance(source, str):
        return []
    path = bundle.path / source
    try:
        names = compiled(path.read_text(encoding="utf-8")).variables
    except (OSError, UnicodeDecodeError, TemplateProblem):
        return []
    declared = bundle.parameters()
    return [(n, n in secrets) for n in sorted(names) if n in declared]


def _mode(mode) -> str:
    if isinstance(mode, int) and not isinstance(mode, bool):
        return f"0{mode:o}"
    return mode if isinstance(mode, str) else ""


def _actions(bundle: Bundle, entry: dict, words: dict) -> list[tuple[str, str]]:
    """A file's validate step, what runs after it changed (its own `actions`,
    else the tool's bundle-wide `reload`) and the edits it needs."""
    out = []
    if entry.get("validate"):
        out.append(("validate", _named("validate", entry["validate"], words)))
    declared = entry.get("actions")
    if declared is None and bundle.reload():
        declared = [bundle.reload()]
    out += [("after a change", action(a, words)) for a in _list(declared)]
    out += [("edit", edit(e)) for e in _list(entry.get("edits"))]
    return out


def files(bundle: Bundle, words: dict | None = None) -> list[File]:
    secrets = {n for n, s in bundle.parameters().items() if s.get("secret")}
    words = words or {}
    rows = []
    for _, entry in bundle.files():
        acts = _actions(bundle, entry, words)
        rows.append(
            File(
                dest=_text(entry.get("dest")),
                source=_text(entry.get("source")),
                mode=_mode(entry.get("mode", "0644")),
                owner=_text(entry.get("owner")) or "root",
                group=_text(entry.get("group")) or "root",
                roles=_strings(entry.get("roles")),
                template=bool(entry.get("template")),
                language=_text(entry.get("language")),
                uses=_uses(bundle, entry, secrets),
                actions=acts,
            )
        )
    return rows


@dataclass
class Directory:
    path: str
    mode: str
    owner: str
    group: str


def directories(bundle: Bundle) -> list[Directory]:
    """Folders the bundle owns (created with this mode and owner)."""
    return [
        Directory(
            _text(d.get("path")),
            _mode(d.get("mode", "0755")),
            _text(d.get("owner")) or "root",
            _text(d.get("group")) or "root",
        )
        for d in _list(bundle.data.get("directories"))
        if isinstance(d, dict) and isinstance(d.get("path"), str)
    ]


@dataclass
class Change:
    type: str
    description: str
    link: str = ""


@dataclass
class Release:
    version: str
    date: str
    changes: list[Change]


def releases(bundle: Bundle) -> list[Release]:
    doc, _ = load_changelog(bundle)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    out = []
    for rel in _list(data.get("releases")):
        if not isinstance(rel, dict):
            continue
        changes = [
            Change(_text(c.get("type")), shown(c.get("description", "")), _text(c.get("link")))
            for c in _list(rel.get("changes"))
            if isinstance(c, dict)
        ]
        out.append(Release(shown(rel.get("version", "?")), shown(rel.get("date", "")), changes))
    return out


@dataclass
class Member:
    ref: str
    version: str
    values: dict[str, str]  # preset values, a secret's shown as None


@dataclass
class Deprecation:
    since: str
    reason: str
    replaced_by: str


@dataclass
class BundleView:
    ref: str
    name: str
    domain: str
    is_stack: bool
    version: str
    summary: str
    description: str
    license: str
    maintainers: list[dict[str, str]]
    tool: str
    tool_versions: list[str]
    packages: dict[str, list[str]]
    services: list[str]
    implements: dict[str, object]
    requires: list[str]
    provides: list[str]
    parameters: list[Parameter]
    files: list[File]
    directories: list[Directory]
    members: list[Member]
    deprecated: Deprecation | None
    releases: list[Release]
    readme: str | None
    readable: bool

    @property
    def secrets(self) -> list[str]:
        return [p.name for p in self.parameters if p.secret]


def _members(ctx, bundle: Bundle) -> list[Member]:
    out = []
    for _, entry in bundle.members():
        ref = _text(entry.get("bundle"))
        member = ctx.bundle(ref)
        secret = {n for n, s in member.parameters().items() if s.get("secret")} if member else set()
        values = entry.get("values") if isinstance(entry.get("values"), dict) else {}
        out.append(
            Member(
                ref,
                shown(entry.get("version", "")) if entry.get("version") else "",
                {str(k): None if k in secret else shown(v) for k, v in values.items()},
            )
        )
    return out


def view(ctx, bundle: Bundle) -> BundleView:
    d = bundle.data if isinstance(bundle.data, dict) else {}
    tool = d.get("tool") if isinstance(d.get("tool"), dict) else {}
    packages = tool.get("packages") if isinstance(tool.get("packages"), dict) else {}
    dep = d.get("deprecated")
    readme = bundle.path / README
    try:
        readme_text = readme.read_text(encoding="utf-8") if readme.is_file() else None
    except (OSError, UnicodeDecodeError):
        readme_text = None
    top, _, name = bundle.ref.partition("/")
    return BundleView(
        ref=bundle.ref,
        name=name,
        domain="stack" if bundle.is_stack else _text(d.get("domain")) or top,
        is_stack=bundle.is_stack,
        version=bundle.version or "?",
        summary=_text(d.get("summary")),
        description=_text(d.get("description")),
        license=_text(d.get("license")),
        maintainers=[
            {k: shown(m[k]) if m.get(k) else "" for k in ("name", "email", "github")}
            for m in _list(d.get("maintainers"))
            if isinstance(m, dict)
        ],
        tool=_text(tool.get("name")),
        tool_versions=_strings(tool.get("versions")),
        packages={str(k): _strings(v) for k, v in packages.items()},
        services=_strings(d.get("services")),
        implements=dict(bundle.implements()),
        requires=bundle.requires(),
        provides=_strings(d.get("provides")),
        parameters=parameters(bundle.parameters()),
        files=files(bundle, commands(ctx.registry)),
        directories=directories(bundle),
        members=_members(ctx, bundle),
        deprecated=Deprecation(
            shown(dep.get("since", "")), _text(dep.get("reason")), _text(dep.get("replaced_by"))
        )
        if isinstance(dep, dict)
        else None,
        releases=releases(bundle) if bundle.manifest is not None else [],
        readme=readme_text,
        readable=bundle.manifest is not None,
    )

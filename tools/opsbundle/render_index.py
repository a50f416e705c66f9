"""render-index/v1: the index.json a render writes, the deployment side's contract.

For every rendered file it says where the file goes (dest, mode, owner,
group, parent directories), to which hosts (roles), what it is (sha256, the
secrets it holds by name), how to check a candidate before it replaces the
installed file, what to run once it changed, and the edits the tool's main
configuration needs for the file to be read at all. The commands come from
the interface's own vocabulary (interfaces/render-index/v1/commands.yaml):
a bundle names them and never holds one, so review of that one file is
review of everything a consumer runs. interfaces/render-index/v1/README.md
is the contract in words; schema.json its machine form.
"""

from __future__ import annotations

import hashlib
import posixpath

import yaml

from . import yamldata
from .templating import TemplateProblem, compiled, render_string

INTERFACE = "render-index/v1"
FORMAT = 1


class IndexProblem(Exception):
    """A file's deployment data cannot be written; the message says why."""


def vocabulary(registry) -> dict:
    """{'validate': {...}, 'check': {...}, 'apply': {...}} from commands.yaml
    (empty sections when the interface is missing, which validation reports)."""
    iface = registry.interfaces.get(INTERFACE)
    data = (iface.data if iface else {}).get("render_commands") or {}
    return {k: dict(data.get(k) or {}) for k in ("validate", "check", "apply")}


def mode_text(mode) -> str:
    """'0640' from a manifest's '640', '0640' or (when read unquoted) 416."""
    value = int(mode, 8) if isinstance(mode, str) else int(mode)
    return f"0{value & 0o7777:o}".rjust(4, "0")


def _named(kind: str, name: str | None, words: dict) -> dict | None:
    if not name:
        return None
    found = words[kind].get(name)
    if found is None:
        raise IndexProblem(f"unknown {kind} command '{name}' (see {INTERFACE} commands.yaml)")
    return {"name": name, "command": found["command"]}


def actions(bundle, entry: dict, dest: str, words: dict) -> list[dict]:
    """What to run once this file changed: the file's own `actions`, else the
    tool's `reload` (a bundle-wide default kept for older manifests). A
    service action is one per service; an apply is one per file."""
    declared = entry.get("actions")
    if declared is None:
        reload = bundle.reload()
        declared = [reload] if reload else []
    out = []
    for action in declared:
        if action.get("apply"):
            name = action["apply"]
            spec = words["apply"].get(name)
            if spec is None:
                raise IndexProblem(f"unknown apply command '{name}'")
            item = {"id": f"apply:{name}:{dest}", "apply": name}
            if "command" in spec:
                item["command"] = spec["command"]
            if "api" in spec:
                item["api"] = spec["api"]
            out.append(item)
        else:
            service = action["service"]
            check = words["check"].get(service)
            out.append(
                {
                    "id": f"service:{service}",
                    "service": service,
                    "action": action.get("action", "restart"),
                    "check": {"name": service, "command": check["command"]} if check else None,
                }
            )
    return out


def parents(dest: str, owned: dict[str, dict]) -> list[dict]:
    """Every ancestor of `dest`, outermost first. Directories the bundle owns
    carry their mode and owner (a consumer keeps them so); the others must
    exist or are created with the system's defaults and are never changed."""
    out = []
    path = posixpath.dirname(dest)
    chain = []
    while path not in ("/", ""):
        chain.append(path)
        path = posixpath.dirname(path)
    for p in reversed(chain):
        if p in owned:
            out.append({"path": p, "owned": True, **owned[p]})
        else:
            out.append({"path": p, "owned": False})
    return out


def directories(bundle) -> dict[str, dict]:
    found = {}
    dirs = bundle.data.get("directories")
    for d in dirs if isinstance(dirs, list) else []:
        if isinstance(d, dict) and isinstance(d.get("path"), str):
            found[d["path"]] = {
                "mode": mode_text(d.get("mode", "0755")),
                "owner": d.get("owner", "root"),
                "group": d.get("group", "root"),
            }
    return found


def edits(bundle, entry: dict, context: dict, words: dict) -> list[dict]:
    """The main-configuration edits this file needs, rendered with the same
    values as the file. Their text lands in index.json, so they may not use
    a secret parameter (validation refuses that, DEP005)."""
    out = []
    for j, edit in enumerate(entry.get("edits") or []):
        at = f"edits[{j}]"
        item: dict = {
            "file": edit["file"],
            "kind": edit["kind"],
            "create": bool(edit.get("create", False)),
            "validate": _named("validate", edit.get("validate"), words),
        }
        try:
            if edit["kind"] == "line":
                item["line"] = render_string(edit["line"], context)
                if edit.get("match"):
                    item["match"] = edit["match"]
            else:
                text = (bundle.path / edit["source"]).read_text(encoding="utf-8")
                if edit.get("template"):
                    text = compiled(text).render(context)
                if edit["kind"] == "block":
                    item["marker"] = f"opsbundles {bundle.ref} {entry['dest']}"
                    item["content"] = text.rstrip("\n") + "\n"
                else:
                    merge = yamldata.loaded(text)
                    if not isinstance(merge, dict):
                        raise IndexProblem(f"{at}: {edit['source']} must render a YAML mapping")
                    item["merge"] = merge
        except TemplateProblem as exc:
            raise IndexProblem(f"{at}:{exc.line}: {exc.message}") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise IndexProblem(f"{at}: {edit.get('source')}: {exc}") from None
        out.append(item)
    return out


def edit_templates(bundle) -> list[tuple[tuple, str, str]]:
    """(manifest path, shown name, text) of every edit that is a template: a
    `line`, or a `source` marked `template: true` that can be read. Checks
    compile them; what cannot be read is reported by the deploy checks."""
    found = []
    for i, entry in bundle.files():
        edits_ = entry.get("edits")
        for j, edit in enumerate(edits_ if isinstance(edits_, list) else []):
            if not isinstance(edit, dict):
                continue
            where = ("files", i, "edits", j)
            if edit.get("kind") == "line" and isinstance(edit.get("line"), str):
                found.append((where, f"{bundle.ref} files[{i}].edits[{j}].line", edit["line"]))
            elif edit.get("template") and isinstance(edit.get("source"), str):
                path = bundle.path / edit["source"]
                try:
                    inside = path.resolve().is_relative_to(bundle.path.resolve())
                    text = path.read_text(encoding="utf-8") if inside else None
                except (OSError, UnicodeDecodeError):
                    text = None
                if text is not None:
                    found.append((where, f"{bundle.ref}/{edit['source']}", text))
    return found


def file_entry(bundle, entry: dict, dest: str, rel: str, raw: bytes, **known) -> dict:
    """The index entry of one rendered file (`rel`: its path in the output;
    `known`: secrets, the names of the secret parameters it holds; context,
    the values it was rendered with; words, the command vocabulary)."""
    words = known["words"]
    return {
        "bundle": bundle.ref,
        "source": rel,
        "source_file": entry["source"],
        "template": bool(entry.get("template")),
        "dest": dest,
        "mode": mode_text(entry.get("mode", "0644")),
        "owner": entry.get("owner", "root"),
        "group": entry.get("group", "root"),
        "parents": parents(dest, directories(bundle)),
        "roles": list(entry.get("roles", ["all"])),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
        "secrets": known["secrets"],
        "validate": _named("validate", entry.get("validate"), words),
        "actions": actions(bundle, entry, dest, words),
        "edits": edits(bundle, entry, known["context"], words),
    }


def document(target, members: list, files: list[dict], generator: str) -> dict:
    """The whole index: what was rendered, every file, and the managed set a
    consumer compares with the previous render's to prune what was dropped."""
    owned = []
    for member in members:
        for path, spec in sorted(directories(member).items()):
            owned.append({"bundle": member.ref, "path": path, **spec})
    return {
        "interface": INTERFACE,
        "format": FORMAT,
        "generator": generator,
        "rendered": target.ref,
        "version": target.version,
        "bundles": [
            {"ref": m.ref, "version": m.version, "tool": (m.data.get("tool") or {}).get("name")}
            for m in members
        ],
        "managed": sorted({f["dest"] for f in files}),
        "directories": owned,
        "files": files,
    }

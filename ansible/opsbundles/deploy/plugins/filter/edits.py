"""Filters of the opsbundles.deploy collection: render-index/v1 edits and host selection.

`opsbundles_edit(text, edit)` returns the main configuration `text` with one
render-index/v1 edit applied (line, block or yaml), exactly as the interface's
README says; applying it twice changes nothing. The others choose a host's
roles, files, parent directories and the actions its changed files ask for.

Plain Python with no import from Ansible, so opsbundle's conformance suite
applies edits with this same code (one implementation of the rules).
"""

from __future__ import annotations

import json
import re

import yaml

MATCH_KEYS = ("job_name", "name")


class EditError(ValueError):
    pass


def _line(text: str, edit: dict) -> str:
    line = edit["line"]
    lines = text.splitlines()
    if line in lines:
        return text
    if edit.get("match"):
        pattern = re.compile(edit["match"])
        hits = [i for i, existing in enumerate(lines) if pattern.search(existing)]
        if hits:
            lines[hits[-1]] = line
            return "\n".join(lines) + "\n"
    if text and not text.endswith("\n"):
        text += "\n"
    return text + line + "\n"


def _block(text: str, edit: dict) -> str:
    begin, end = f"# BEGIN {edit['marker']}", f"# END {edit['marker']}"
    block = [begin, *edit["content"].rstrip("\n").split("\n"), end]
    lines = text.splitlines()
    if begin in lines and end in lines[lines.index(begin) :]:
        first = lines.index(begin)
        last = lines.index(end, first)
        lines[first : last + 1] = block
    else:
        lines += block
    return "\n".join(lines) + "\n"


def _key(item):
    if isinstance(item, dict):
        for key in MATCH_KEYS:
            if key in item:
                return (key, item[key])
    return None


def merge(current, wanted):
    """`wanted` merged into `current`: mappings recursively, lists by item
    (mappings matched by job_name or name), scalars replaced."""
    if isinstance(wanted, dict):
        base = dict(current) if isinstance(current, dict) else {}
        for key, value in wanted.items():
            base[key] = merge(base.get(key), value)
        return base
    if isinstance(wanted, list):
        base = list(current) if isinstance(current, list) else []
        for item in wanted:
            key = _key(item)
            same = [i for i, old in enumerate(base) if key is not None and _key(old) == key]
            if same:
                base[same[0]] = item
            elif item not in base:
                base.append(item)
        return base
    return wanted


def _yaml(text: str, edit: dict) -> str:
    current = yaml.safe_load(text) if text.strip() else {}
    if current is None:
        current = {}
    if not isinstance(current, dict):
        raise EditError(f"{edit['file']} is not a YAML mapping")
    merged = merge(current, edit["merge"])
    if merged == current:
        return text  # unchanged: keep the operator's formatting and comments
    return yaml.safe_dump(merged, default_flow_style=False, sort_keys=False)


def _plain(value):
    """Plain dicts, lists and strings (Ansible hands over tagged subclasses,
    which yaml.safe_dump refuses)."""
    return json.loads(json.dumps(value))


def opsbundles_edit(text: str, edit: dict) -> str:
    edit = _plain(edit)
    text = str(text)
    kinds = {"line": _line, "block": _block, "yaml": _yaml}
    if edit.get("kind") not in kinds:
        raise EditError(f"unknown edit kind {edit.get('kind')!r}")
    return kinds[edit["kind"]](text or "", edit)


def opsbundles_roles(role_groups: dict, group_names: list) -> list:
    """Our roles of a host: those with one of the host's inventory groups."""
    mine = set(group_names)
    return sorted(role for role, groups in role_groups.items() if mine & set(groups or []))


def opsbundles_for_host(files: list, roles: list) -> list:
    wanted = set(roles) | {"all"}
    return [f for f in files if wanted & set(f.get("roles", []))]


def opsbundles_parents(files: list) -> list:
    """Every parent directory of these files once, outermost first; an owned
    one keeps its mode and owner, the others only get created if missing."""
    seen: dict = {}
    for f in files:
        for parent in f.get("parents", []):
            if parent["path"] not in seen or parent.get("owned"):
                seen[parent["path"]] = parent
    return sorted(seen.values(), key=lambda p: (p["path"].count("/"), p["path"]))


def opsbundles_actions(files: list) -> list:
    """The actions these (changed) files ask for, each id once, in order; a
    restart of a service wins over its reload; an apply knows its file."""
    out: dict = {}
    for f in files:
        for action in f.get("actions", []):
            item = dict(action)
            if "apply" in item:
                item["path"] = f["dest"]
            known = out.get(item["id"])
            if known is None or item.get("action") == "restart":
                out[item["id"]] = item if known is None else {**known, "action": "restart"}
    return list(out.values())


def opsbundles_record(entry: dict) -> dict:
    """What a host's state file keeps of a deployed file: enough to prune it
    and run its actions once a later render drops it."""
    return {"dest": entry["dest"], "sha256": entry["sha256"], "actions": entry["actions"]}


class FilterModule:
    def filters(self):
        return {
            "opsbundles_edit": opsbundles_edit,
            "opsbundles_roles": opsbundles_roles,
            "opsbundles_for_host": opsbundles_for_host,
            "opsbundles_parents": opsbundles_parents,
            "opsbundles_actions": opsbundles_actions,
            "opsbundles_record": opsbundles_record,
        }

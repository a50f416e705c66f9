"""Safe, bounded YAML reading that remembers where every value came from.

Manifests come from contributors and from sites' own forks, so a file here may
be anything: a billion-laughs alias bomb, ten thousand nested brackets (which
crash libyaml's recursive composer outright), a tab, Latin-1 bytes, a Python tag.
Each of these becomes a `Finding`, never a traceback or a hang.

The happy path stays as cheap as `yaml.load(..., CSafeLoader)`: libyaml composes
the node tree in C and we build plain dicts and lists from it in one iterative
pass, checking keys, tags, depth and alias expansion as we go. The node tree is
kept so that a later finding can be placed at the line and column of the value
it is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor

from .findings import Finding

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000
# libyaml's C composer recurses once per nesting level and overflows the C stack
# somewhere past 10,000 levels. Nesting needs at least one byte per level, so a
# file shorter than this cannot get there; longer files get a cheap upper bound
# on their nesting before libyaml sees them.
_C_SAFE_BYTES = 8_000
_C_SAFE_DEPTH = 4_000

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_CONSTRUCTOR = SafeConstructor()
_SCALARS = {
    _STR: lambda node: node.value,
    "tag:yaml.org,2002:null": lambda node: None,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _CONSTRUCTOR.construct_yaml_timestamp,
}
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_INDICATOR = re.compile(r"[-?:](?=[ \t]|$)")


class _Bad(Exception):
    def __init__(self, code: str, message: str, node: yaml.Node | None = None, hint: str = ""):
        super().__init__(message)
        self.code, self.message, self.node, self.hint = code, message, node, hint


@dataclass
class Document:
    """Plain data read from one YAML file, and the node tree to point back into it."""

    path: str
    data: object
    root: yaml.Node

    def mark(self, keypath: tuple | list, at_key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value at `keypath`, or of the deepest
        part of it that exists (a missing key points at the mapping that lacks it).
        With `at_key`, point at the last key itself rather than its value."""
        node = self.root
        for i, part in enumerate(keypath):
            last = i == len(keypath) - 1
            if isinstance(node, yaml.MappingNode):
                for knode, vnode in node.value:
                    if knode.value == str(part):
                        node = knode if (last and at_key) else vnode
                        break
                else:
                    break
            elif isinstance(node, yaml.SequenceNode):
                try:
                    node = node.value[int(part)]
                except (ValueError, IndexError):
                    break
            else:
                break
        return node.start_mark.line + 1, node.start_mark.column + 1

    def node(self, keypath: tuple | list) -> yaml.Node | None:
        """The node of the value at `keypath`, or None when some part is missing."""
        node = self.root
        for part in keypath:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == str(part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                node = node.value[part] if 0 <= part < len(node.value) else None
            else:
                node = None
            if node is None:
                return None
        return node

    def finding(self, code: str, keypath, message: str, hint: str = "", at_key=False) -> Finding:
        line, col = self.mark(keypath, at_key=at_key)
        return Finding(code, self.path, message, line, col, hint)


def read_yaml(
    path: Path, display: str, expect: type = dict
) -> tuple[Document | None, list[Finding]]:
    """Read one YAML file. Returns the document, or None and the findings that
    explain why there is none."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [
                Finding(
                    "YML009",
                    display,
                    f"file is {size} bytes, over the {MAX_BYTES}-byte limit",
                    hint="manifests and changelogs are small; split data into files",
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Finding("YML012", display, f"cannot read file: {exc.strerror}")]
    return parse_yaml(raw, display, expect)


def parse_yaml(raw: bytes, display: str, expect: type = dict):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            Finding(
                "YML004",
                display,
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                line,
                col,
                hint="save the file as UTF-8",
            )
        ]
    if len(raw) > _C_SAFE_BYTES and _nesting_bound(text) > _C_SAFE_DEPTH:
        return None, [Finding("YML008", display, f"nesting deeper than {MAX_DEPTH} levels")]
    loader = yaml.CSafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if _tab_at(text, mark, exc.problem):
            return None, [
                Finding(
                    "YML003",
                    display,
                    "tab character in indentation",
                    line,
                    col,
                    hint="YAML indents with spaces only",
                )
            ]
        message = " ".join(filter(None, [exc.context, exc.problem])) or str(exc)
        return None, [Finding("YML001", display, message, line, col)]
    except yaml.YAMLError as exc:
        return None, [Finding("YML001", display, str(exc))]
    finally:
        loader.dispose()
    if root is None:
        return None, [Finding("YML005", display, "file holds no YAML document")]
    try:
        data = _build(root)
    except _Bad as bad:
        node = bad.node or root
        return None, [
            Finding(
                bad.code,
                display,
                bad.message,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                bad.hint,
            )
        ]
    if not isinstance(data, expect):
        return None, [
            Finding(
                "YML010",
                display,
                f"top level must be a {_kind(expect)}, found a {_kind(type(data))}",
                root.start_mark.line + 1,
                root.start_mark.column + 1,
            )
        ]
    return Document(display, data, root), []


def _tab_at(text: str, mark, problem: str | None) -> bool:
    """libyaml refuses a tab where indentation belongs, in words that vary by
    context; a tab in content is fine, so ask libyaml rather than guess."""
    if "tab character" in (problem or ""):
        return True
    return mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t"


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _kind(t: type) -> str:
    return {dict: "mapping", list: "list", str: "string"}.get(t, t.__name__)


def _nesting_bound(text: str) -> int:
    """An upper bound on nesting depth, cheap enough for a 1 MiB file: the deepest
    run of open brackets plus, for block style, twice the widest indentation and
    the most inline indicators on one line."""
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", text):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
    block = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        # each of "- ", "? " and ": " may open one more level on the same line
        block = max(block, 2 * indent + len(_INDICATOR.findall(stripped)) + 2)
    return deepest + block


def _build(root: yaml.Node):
    """Plain data from a node tree, iteratively. Aliases share their object as
    PyYAML does, but count at their expanded size, so a small file that would
    explode when walked is refused here."""
    built: dict[int, tuple[object, int, int]] = {}  # id(node) -> (value, size, height)
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in built:
            continue
        if isinstance(node, yaml.ScalarNode):
            built[key] = (_scalar(node), 1, 1)
            continue
        if not children_done:
            if key in open_nodes:
                raise _Bad("YML007", "recursive alias", node)
            open_nodes.add(key)
            stack.append((node, True))
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            else:
                children = [n for pair in node.value for n in pair]
            for child in reversed(children):
                if id(child) in open_nodes:
                    raise _Bad("YML007", "recursive alias", child)
                if id(child) not in built:
                    stack.append((child, False))
            continue
        open_nodes.discard(key)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _Bad("YML006", f"unsupported tag {_short(node.tag)}", node)
            parts = [built[id(c)] for c in node.value]
            value = [p[0] for p in parts]
        else:
            if node.tag != _MAP:
                raise _Bad("YML006", f"unsupported tag {_short(node.tag)}", node)
            value = {}
            first: dict[object, yaml.Node] = {}
            parts = []
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise _Bad("YML001", "mapping keys must be plain scalars", knode)
                k = built[id(knode)][0]
                if k in first:
                    raise _Bad(
                        "YML002",
                        f"duplicate key '{k}' (first at line {first[k].start_mark.line + 1})",
                        knode,
                    )
                first[k] = knode
                v = built[id(vnode)]
                value[k] = v[0]
                parts.append(v)
        size = 1 + sum(p[1] for p in parts)
        height = 1 + max((p[2] for p in parts), default=0)
        if size > MAX_NODES:
            raise _Bad(
                "YML007",
                f"aliases expand to more than {MAX_NODES} nodes",
                node,
                hint="an alias bomb, or data that belongs in its own file",
            )
        if height > MAX_DEPTH:
            raise _Bad("YML008", f"nesting deeper than {MAX_DEPTH} levels", node)
        built[key] = (value, size, height)
    return built[id(root)][0]


def _scalar(node: yaml.ScalarNode):
    if node.tag == _MERGE:
        raise _Bad(
            "YML011",
            "merge key '<<' is not supported",
            node,
            hint="write the keys out; manifests are read by many tools",
        )
    make = _SCALARS.get(node.tag)
    if make is None:
        raise _Bad(
            "YML006",
            f"unsupported tag {_short(node.tag)}",
            node,
            hint="only plain YAML types are read; no language-specific tags",
        )
    try:
        return make(node)
    except Exception:  # noqa: BLE001 - `!!bool nope` is a KeyError, `!!timestamp x` an AttributeError
        kind = node.tag.rsplit(":", 1)[-1]
        shown = f"{node.value!r}" if node.value else "an empty value"
        raise _Bad(
            "YML013",
            f"{shown} is not a valid {kind} (explicit tag !!{kind})",
            node,
            hint="write a value of that type, or drop the tag",
        ) from None

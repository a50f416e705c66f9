"""Where free text goes in a template: every place a `text` or secret value
is written must pass through an escape filter of the file's language.

The analysis reads the Jinja2 tree. A name is *tainted* when it is a free-text
parameter, or is assigned (`set`, `for`, `with`, a macro argument) from an
expression that holds a tainted name outside an escape filter; the walk
repeats until no new name is tainted. A written expression (`{{ ... }}`) is
safe when each tainted name in it sits under an escape filter that nothing
else transforms afterwards: the filter is the expression itself, or reached
from it only through `~` concatenations and the branches of `a if c else b`.
`{{ (x | shell_sq) | upper }}` is therefore unsafe, and so is
`{{ q(x) }}` for a macro q: write the filter where the value is written.
Names are matched by name, not by scope, which can only over-report.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import nodes


@dataclass(frozen=True)
class Leak:
    line: int
    name: str  # the tainted name written unescaped
    origin: str  # the parameter it came from


def _unescaped(node: nodes.Node, tainted: dict, escapes: frozenset, top: bool = True) -> list:
    """Tainted Name nodes in `node` not protected by an escape filter."""
    if isinstance(node, nodes.Filter) and top and node.name in escapes:
        return []
    if isinstance(node, nodes.Name):
        return [node] if node.ctx == "load" and node.name in tainted else []
    if isinstance(node, nodes.CondExpr) and top:
        found = _unescaped(node.expr1, tainted, escapes, True)
        if node.expr2 is not None:
            found += _unescaped(node.expr2, tainted, escapes, True)
        return found
    keep = top and isinstance(node, nodes.Concat)
    found = []
    for child in node.iter_child_nodes():
        found += _unescaped(child, tainted, escapes, keep)
    return found


def _targets(node: nodes.Node) -> set[str]:
    return {n.name for n in node.find_all(nodes.Name) if n.ctx in ("store", "param")} | (
        {node.name} if isinstance(node, nodes.Name) else set()
    )


def _assignments(tree: nodes.Template) -> list[tuple[set[str], nodes.Node]]:
    """(names assigned, the expression they are assigned from), read in one
    walk of the tree: sets, set blocks, for loops, with blocks, then macro
    calls (their parameters from the arguments), each kind in tree order."""
    kinds = (nodes.Macro, nodes.Assign, nodes.AssignBlock, nodes.For, nodes.With, nodes.Call)
    found: dict[type, list] = {kind: [] for kind in kinds}
    for node in tree.find_all(kinds):
        found[next(k for k in kinds if isinstance(node, k))].append(node)
    macros = {m.name: m for m in found[nodes.Macro]}
    pairs = [(_targets(n.target), n.node) for n in found[nodes.Assign]]
    for node in found[nodes.AssignBlock]:
        targets = _targets(node.target)
        pairs += [(targets, out) for out in node.find_all(nodes.Output)]
    pairs += [(_targets(n.target), n.iter) for n in found[nodes.For]]
    for node in found[nodes.With]:
        pairs += [(_targets(t), v) for t, v in zip(node.targets, node.values, strict=False)]
    for call in found[nodes.Call]:
        macro = macros.get(call.node.name) if isinstance(call.node, nodes.Name) else None
        if macro is not None:
            params = {a.name for a in macro.args}
            pairs += [(params, arg) for arg in [*call.args, *(k.value for k in call.kwargs)]]
    return pairs


def _propagate(tree: nodes.Template, tainted: dict, escapes: frozenset) -> None:
    """Grow `tainted` (name -> parameter it came from) to a fixpoint."""
    pairs = _assignments(tree)
    changed = True
    while changed:
        changed = False
        for targets, source in pairs:
            leaked = _unescaped(source, tainted, escapes)
            if not leaked:
                continue
            for name in targets - tainted.keys():
                tainted[name] = tainted[leaked[0].name]
                changed = True


def _outputs(node: nodes.Node):
    """Output nodes that write into the file (not into a `{% set %}` block)."""
    if isinstance(node, nodes.AssignBlock):
        return
    if isinstance(node, nodes.Output):
        yield node
    for child in node.iter_child_nodes():
        yield from _outputs(child)


def leaks(tree: nodes.Template, free_text: set[str], escapes: frozenset) -> list[Leak]:
    """Each place a free-text parameter (or a name derived from one) is written
    without one of `escapes` around it; empty when the template is safe."""
    tainted = {name: name for name in free_text}
    _propagate(tree, tainted, escapes)
    found: dict[tuple[int, str], Leak] = {}
    for out in _outputs(tree):
        for expr in out.nodes:
            if isinstance(expr, nodes.TemplateData):
                continue
            for name in _unescaped(expr, tainted, escapes):
                key = (name.lineno, name.name)
                found.setdefault(key, Leak(name.lineno, name.name, tainted[name.name]))
    return sorted(found.values(), key=lambda leak: (leak.line, leak.name))

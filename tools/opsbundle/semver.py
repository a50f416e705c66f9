"""Semantic versions (semver.org 2.0.0) and the constraints stacks put on them.

Bundle versions are semver, not PEP 440: `1.0.0-rc.1` sorts before `1.0.0`, and
build metadata (`+site.3`) never affects precedence.
"""

from __future__ import annotations

import re

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_CONSTRAINT = re.compile(r"^\s*(>=|<=|==|!=|>|<)?\s*(\S+)\s*$")


class Version:
    __slots__ = ("text", "_key")

    def __init__(self, text: str):
        m = _SEMVER.match(str(text))
        if not m:
            raise ValueError(f"'{text}' is not a semantic version (MAJOR.MINOR.PATCH)")
        self.text = str(text)
        core = tuple(int(x) for x in m.groups()[:3])
        pre = m.group(4)
        if pre is None:
            # a release sorts after all of its pre-releases
            self._key = (core, 1, ())
        else:
            ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
            self._key = (core, 0, ids)

    def __lt__(self, other: Version) -> bool:
        return self._key < other._key

    def __le__(self, other: Version) -> bool:
        return self._key <= other._key

    def __gt__(self, other: Version) -> bool:
        return self._key > other._key

    def __ge__(self, other: Version) -> bool:
        return self._key >= other._key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __str__(self) -> str:
        return self.text


def parse(text) -> Version | None:
    try:
        return Version(text)
    except ValueError:
        return None


def satisfies(version: Version, constraint: str) -> bool:
    """`constraint` is a comma-separated list such as ">=1.2.0, <2.0.0";
    a bare version means ==. Raises ValueError when it cannot be read."""
    for part in constraint.split(","):
        m = _CONSTRAINT.match(part)
        if not m:
            raise ValueError(f"cannot read version constraint '{part.strip()}'")
        op, bound = m.group(1) or "==", Version(m.group(2))
        if not _OPS[op](version, bound):
            return False
    return True

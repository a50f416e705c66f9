"""Results of earlier runs, keyed by content, so a pre-commit run re-checks only
what changed.

A tool bundle's findings depend only on its own files, the contracts under
`interfaces/` and the checker's own code, so the key is a hash of exactly those
bytes (never of timestamps, which git checkouts rewrite). Stacks also depend on
their members and are always checked afresh. The cache lives outside the
repository, in $XDG_CACHE_HOME/opsbundle (or ~/.cache/opsbundle), one file per
repository, replaced atomically; a missing or corrupt cache just means a cold run.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from .findings import Finding

_FORMAT = 1
_CODE_DIR = Path(__file__).parent


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "opsbundle"


def _hash_tree(h, top: Path, rel: str = "") -> None:
    """Feed every file under `top` (names, symlink targets and bytes) to `h`,
    in a stable order."""
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError:
        h.update(b"\0missing\0")
        return
    for entry in entries:
        name = f"{rel}/{entry.name}"
        if entry.name == "__pycache__":
            continue
        if entry.is_symlink():
            h.update(f"L{name}\0{os.readlink(entry.path)}\0".encode())
        elif entry.is_dir():
            _hash_tree(h, Path(entry.path), name)
        elif entry.is_file():
            h.update(f"F{name}\0".encode())
            try:
                with open(entry.path, "rb") as f:
                    h.update(f.read())
            except OSError:
                h.update(b"\0unreadable\0")


def fingerprint(root: Path) -> str:
    """What every result depends on besides the bundle itself."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {_FORMAT}\0".encode())
    _hash_tree(h, _CODE_DIR)
    _hash_tree(h, root / "interfaces")
    return h.hexdigest()


def bundle_key(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    _hash_tree(h, path)
    return h.hexdigest()


class ResultCache:
    def __init__(self, root: Path, enabled: bool = True):
        self.enabled = enabled
        self.path = _cache_dir() / (
            "validate-" + hashlib.blake2b(str(root).encode(), digest_size=8).hexdigest() + ".pickle"
        )
        self.base = fingerprint(root) if enabled else ""
        self.entries: dict[str, tuple[str, list[tuple]]] = {}
        self.dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                stored = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            return
        if isinstance(stored, dict) and stored.get("base") == self.base:
            self.entries = stored.get("entries", {})

    def get(self, ref: str, key: str) -> list[Finding] | None:
        hit = self.entries.get(ref)
        if hit is None or hit[0] != key:
            return None
        return [Finding(*t) for t in hit[1]]

    def put(self, ref: str, key: str, found: list[Finding]) -> None:
        self.entries[ref] = (
            key,
            [(f.code, f.path, f.message, f.line, f.col, f.hint, f.bundle) for f in found],
        )
        self.dirty = True

    def save(self) -> None:
        if not (self.enabled and self.dirty):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".validate-")
            with os.fdopen(fd, "wb") as f:
                pickle.dump({"base": self.base, "entries": self.entries}, f, protocol=5)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only home only costs speed

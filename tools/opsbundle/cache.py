"""Results of earlier runs, keyed by content, so a pre-commit run re-checks only
what changed.

A tool bundle's findings depend only on its own files, the contracts under
`interfaces/` and the checker's own code, so the key is a hash of exactly those
bytes (never of timestamps, which git checkouts rewrite). Stacks also depend on
their members and are always checked afresh. The cache lives outside the
repository, in $XDG_CACHE_HOME/opsbundle (or ~/.cache/opsbundle), one file per
repository, replaced atomically.

The file is JSON, data only: whoever can write it (a CI cache restored across
branches, another user sharing a home) can at worst make it claim results for
the content it names, never run code in the next `opsbundle validate`. CI runs
with `--no-cache` for that reason. Anything but exactly this format — a corrupt
or truncated file, another program's file, an older format, an unreadable file
or an unwritable directory — means a cold run and one note, never a traceback.

Tables (each maps a name to its key and its findings):
    checks   bundle ref -> the check families' findings (key: the bundle's files)
    native   bundle ref -> the engines' findings (key: the bundle's files and the
             engine binaries' identity), so a warm run renders nothing
    engines  "<engine> <ref>" -> the engine's findings (key: the rendered files the
             engine reads, its code and its binaries), so a change that leaves the
             rendered output alone (a README, the checker's other code) starts no engine
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from .findings import CODES, Finding

FORMAT = "opsbundle-validate-cache/2"
TABLES = ("checks", "native", "engines")
MAX_BYTES = 256 * 1024 * 1024  # far above 10,000 bundles' results; refuse anything larger
_CODE_DIR = Path(__file__).parent
_FIELDS = (str, str, str, int, int, str, str)  # Finding's fields, in order


def cache_dir() -> Path:
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
    h.update(f"format {FORMAT}\0".encode())
    _hash_tree(h, _CODE_DIR)
    _hash_tree(h, root / "interfaces")
    return h.hexdigest()


def bundle_key(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    _hash_tree(h, path)
    return h.hexdigest()


def digest(*parts: str | bytes) -> str:
    """A key over `parts`, each one delimited so that no two lists collide."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class CacheFormatError(ValueError):
    """The file is readable but is not this program's cache."""


def _findings(raw) -> list[Finding]:
    if not isinstance(raw, list):
        raise CacheFormatError("findings are not a list")
    out = []
    for item in raw:
        if (
            not isinstance(item, list)
            or len(item) != len(_FIELDS)
            or not all(type(v) is t for v, t in zip(item, _FIELDS, strict=True))
            or item[0] not in CODES
        ):
            raise CacheFormatError(
                "a finding is not [code, path, message, line, col, hint, bundle]"
            )
        out.append(Finding(*item))
    return out


def _entries(raw) -> dict[str, dict]:
    if not isinstance(raw, dict):
        raise CacheFormatError("a table is not an object")
    out = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise CacheFormatError(f"entry {name[:60]!r} is not {{key, findings}}")
        if not isinstance(entry.get("tool", ""), str):
            raise CacheFormatError(f"entry {name[:60]!r} has a tool that is not a string")
        out[name] = {
            "key": entry["key"],
            "findings": entry.get("findings"),
            "tool": entry.get("tool", ""),
        }
    return out


def _read_regular(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file (never blocking on a FIFO or
    reading a device forever); None when there is no file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None  # nothing there yet (or no directory to hold it: saving says so)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CacheFormatError("not a regular file")
        if info.st_size > MAX_BYTES:
            raise CacheFormatError(f"larger than {MAX_BYTES // 2**20} MiB")
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise CacheFormatError(f"larger than {MAX_BYTES // 2**20} MiB")
    return data


class ResultCache:
    """One repository's cache file: load once, look up and record, save once.
    `notes` holds at most one line saying why the cache was not used."""

    def __init__(self, root: Path, enabled: bool = True):
        self.enabled = enabled
        self.notes: list[str] = []
        self.path = cache_dir() / (
            "validate-" + hashlib.blake2b(str(root).encode(), digest_size=8).hexdigest() + ".json"
        )
        self.base = fingerprint(root) if enabled else ""
        self.tables: dict[str, dict[str, dict]] = {t: {} for t in TABLES}
        self.dirty = False
        if enabled:
            self._load()

    def _note(self, message: str) -> None:
        if not self.notes:
            self.notes.append(f"result cache {self.path}: {message}")

    def _load(self) -> None:
        try:
            data = _read_regular(self.path)
        except CacheFormatError as exc:
            self._note(f"not an opsbundle cache ({exc}); checking everything afresh")
            return
        except OSError as exc:
            self._note(f"cannot be read ({exc.strerror}); checking everything afresh")
            return
        if data is None:
            return  # the first run
        try:
            stored = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            self._note("not valid JSON (corrupt or truncated); checking everything afresh")
            return
        try:
            if not isinstance(stored, dict) or stored.get("format") != FORMAT:
                found = stored.get("format") if isinstance(stored, dict) else type(stored).__name__
                raise CacheFormatError(f"format {str(found)[:40]!r}, expected {FORMAT!r}")
            if not isinstance(stored.get("tables"), dict):
                raise CacheFormatError("no tables")
            tables = {t: _entries(stored["tables"].get(t, {})) for t in TABLES}
        except CacheFormatError as exc:
            self._note(f"not an opsbundle cache ({exc}); checking everything afresh")
            return
        if stored.get("base") != self.base:
            # the checker's code or the interfaces changed: the bundle tables are
            # stale, the engine table carries its own code in its keys
            tables["checks"], tables["native"] = {}, {}
        self.tables = tables

    def tool(self, table: str, name: str) -> str:
        """The tool recorded with an entry ("" when none), which tells a warm
        run whose engine identity goes into the key without reading the manifest."""
        entry = self.tables[table].get(name) if self.enabled else None
        return entry["tool"] if entry else ""

    def get(self, table: str, name: str, key: str) -> list[Finding] | None:
        if not self.enabled:
            return None
        entry = self.tables[table].get(name)
        if entry is None or entry["key"] != key:
            return None
        try:
            found = _findings(entry["findings"])
        except CacheFormatError as exc:
            self._note(f"not an opsbundle cache ({exc}); checking afresh")
            del self.tables[table][name]
            self.dirty = True
            return None
        return found

    def put(self, table: str, name: str, key: str, found: list[Finding], tool: str = "") -> None:
        if not self.enabled:
            return
        self.tables[table][name] = {
            "key": key,
            "tool": tool,
            "findings": [
                [f.code, f.path, f.message, f.line, f.col, f.hint, f.bundle] for f in found
            ],
        }
        self.dirty = True

    def save(self, bundles: set[str] | None = None) -> None:
        """Write the cache if anything changed, keeping only the entries of
        `bundles` (the repository's refs; None: all), so removed bundles go."""
        if not (self.enabled and self.dirty):
            return
        tables = self.tables
        if bundles is not None:
            tables = {
                t: {n: e for n, e in entries.items() if n.rsplit(" ", 1)[-1] in bundles}
                for t, entries in self.tables.items()
            }
        document = {"format": FORMAT, "base": self.base, "tables": tables}
        import tempfile  # only a run that changed something pays

        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".validate-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(document, f, separators=(",", ":"))
            os.replace(tmp, self.path)
            tmp = None
        except OSError as exc:
            self._note(f"cannot be written ({exc.strerror}); the next run is cold too")
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

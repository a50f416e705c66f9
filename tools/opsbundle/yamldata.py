"""YAML that opsbundle reads and writes for itself (rendered files it looks
into, test files it hands to a tool), through libyaml: PyYAML's C loader and
dumper give the same data as its pure-Python classes at a fraction of the
cost, and the suites read thousands of documents. Bundles themselves are read
by load.py, which adds the line numbers its findings need."""

from __future__ import annotations

import yaml

# PyYAML built without libyaml has only the pure-Python classes
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def loaded(text: str):
    """The one document in `text` (yaml.safe_load's answer)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)


def loaded_all(text: str) -> list:
    """Every document in `text`, in order (yaml.safe_load_all's answer)."""
    return list(yaml.load_all(text, Loader=_LOADER))  # noqa: S506 (a safe loader)


def dumped(doc, *, sort_keys: bool = True) -> str:
    """`doc` as YAML (yaml.safe_dump's answer)."""
    return yaml.dump(doc, Dumper=_DUMPER, sort_keys=sort_keys)

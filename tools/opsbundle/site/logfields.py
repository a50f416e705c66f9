"""The log-fields/v1 contract as a table: each field, its type, which record
kinds fill it, and one example event per kind.

Fields and types come from the interface's data (fields.yaml, through the
registry); record kinds are the conformance suite's samples
(conformance.log_fields.samples), and "fills" is read off the expected events
beside each sample, which are the oracle the suite holds every implementation
to. A kind that joins the suite joins this page with no change here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..conformance import log_fields

INTERFACE = log_fields.INTERFACE


@dataclass
class Source:
    service: str
    program: str
    path: str  # repository path of the sample log
    lines: str  # the sample as the program wrote it
    events: list[dict]


@dataclass
class Kind:
    name: str
    sources: list[Source] = field(default_factory=list)

    @property
    def events(self) -> list[dict]:
        return [e for s in self.sources for e in s.events]

    @property
    def fields(self) -> set[str]:
        return {k for e in self.events for k in e}

    @property
    def example(self) -> str:
        """The first expected event, as the JSON an implementation emits."""
        events = self.events
        return json.dumps(events[0], indent=2, ensure_ascii=False) if events else ""


@dataclass
class LogFields:
    fields: dict[str, str]  # name -> JSON type
    kinds: list[Kind]
    units: dict[str, dict]
    levels: dict[str, list]
    problems: list[str] = field(default_factory=list)

    def filled_by(self, name: str) -> list[str]:
        return [k.name for k in self.kinds if name in k.fields]

    def services(self) -> dict[str, list[str]]:
        """service -> record kinds with a sample from it."""
        out: dict[str, list[str]] = {}
        for kind in self.kinds:
            for src in kind.sources:
                names = out.setdefault(src.service, [])
                if kind.name not in names:
                    names.append(kind.name)
        return out


def _events(path, root, problems) -> list[dict]:
    expected = path.with_suffix(".json")
    try:
        data = json.loads(expected.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(f"{expected.relative_to(root)}: {exc}")
        return []
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def build(ctx) -> LogFields | None:
    iface = ctx.registry.interfaces.get(INTERFACE)
    if iface is None:
        return None
    data = iface.data
    problems: list[str] = []
    kinds: dict[str, Kind] = {}
    for name, path in log_fields.samples(ctx.root):
        try:
            lines = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path.relative_to(ctx.root)}: {exc}")
            continue
        kinds.setdefault(name, Kind(name)).sources.append(
            Source(
                service=path.parent.name,
                program=path.stem,
                path=path.relative_to(ctx.root).as_posix(),
                lines=lines,
                events=_events(path, ctx.root, problems),
            )
        )
    fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
    return LogFields(
        fields={str(k): str(v) for k, v in fields.items()},
        kinds=list(kinds.values()),
        units=data.get("units") if isinstance(data.get("units"), dict) else {},
        levels=data.get("levels") if isinstance(data.get("levels"), dict) else {},
        problems=problems,
    )

"""The log-fields/v1 contract as a table: each field, its type, which record
kinds fill it, and one example event per kind.

Fields and types come from the interface's data (fields.yaml, through the
registry); record kinds are the conformance suite's corpus
(conformance.log_fields.samples), and "fills" is read off the events the
suite's oracle (conformance.oracle.expected) says each log must give, which is
what every implementation is held to. A kind that joins the corpus joins this
page with no change here. Corpus logs can be long (a 256 kB message is one
of the cases), so a page shows the first lines of each and shortens long
values in the example event, saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..conformance import log_fields, oracle

INTERFACE = log_fields.INTERFACE
SAMPLE_LINES = 12  # lines of a corpus log shown
SAMPLE_CHARS = 4000
LONG_VALUE = 300  # characters of a value shown in the example event


@dataclass
class Source:
    origin: str  # the corpus folder: oslo.log-8.3.2, documented, ...
    service: str
    program: str
    path: str  # repository path of the sample log
    lines: str  # the start of the log as the program wrote it
    total_lines: int
    events: list[dict]

    @property
    def shortened(self) -> bool:
        return self.lines.count("\n") < self.total_lines or len(self.lines) >= SAMPLE_CHARS


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
    def example_source(self) -> Source | None:
        """The newest source with an event (the corpus sorts oldest first)."""
        with_events = [s for s in self.sources if s.events]
        return with_events[-1] if with_events else None

    @property
    def example_event(self) -> dict:
        src = self.example_source
        return src.events[0] if src else {}

    @property
    def example(self) -> str:
        """That event as the JSON an implementation emits, long values shortened."""
        event = {k: _short(v) for k, v in self.example_event.items()}
        return json.dumps(event, indent=2, ensure_ascii=False) if event else ""

    @property
    def example_shortened(self) -> bool:
        return any(_short(v) != v for v in self.example_event.values())


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


def _short(value):
    if isinstance(value, str) and len(value) > LONG_VALUE:
        return f"{value[:LONG_VALUE]}… ({len(value)} characters)"
    return value


def _events(path, root, problems) -> list[dict]:
    try:
        data = oracle.expected(path)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"{path.relative_to(root)}: no expected events: {type(exc).__name__}")
        return []
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def _start(text: str) -> str:
    head = "".join(text.splitlines(keepends=True)[:SAMPLE_LINES])
    return head[:SAMPLE_CHARS]


def build(ctx) -> LogFields | None:
    iface = ctx.registry.interfaces.get(INTERFACE)
    if iface is None:
        return None
    data = iface.data
    problems: list[str] = []
    kinds: dict[str, Kind] = {}
    base = log_fields.corpus(ctx.root)
    for name, path in log_fields.samples(ctx.root):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path.relative_to(ctx.root)}: {type(exc).__name__}")
            continue
        kinds.setdefault(name, Kind(name)).sources.append(
            Source(
                origin=path.relative_to(base).parts[0] if path.is_relative_to(base) else "",
                service=path.parent.name,
                program=path.stem,
                path=path.relative_to(ctx.root).as_posix(),
                lines=_start(text),
                total_lines=len(text.splitlines()),
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

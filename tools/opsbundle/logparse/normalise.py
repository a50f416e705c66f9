"""The one place where raw captures become log-fields/v1 events.

Every parser bundle captures fields with the contract's names; what the tools
do after matching (logstash's date and mutate filters, fluentd's types and
time_format, splunk's TIME_FORMAT, rsyslog's templates) is the same for all of
them and lives here, so an implementation cannot drift on it:
- a `-`, `None` or empty capture means the field is absent;
- integers and floats are converted, and `*_ms`/`*_us` durations become seconds;
- level words map to DEBUG, INFO, WARNING, ERROR or CRITICAL;
- timestamps become ISO 8601 with milliseconds: UTC with `Z` when the log
  printed an offset, the printed local time without one when it did not;
- traceback lines lose the prefix oslo.log repeats on each of them;
- what a bundle's path rules captured from the file's path (`service`,
  `program`) is the base the record's own captures override (a syslog tag
  names its program).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from ..load import read_yaml

PLACEHOLDERS = {"", "-", "None"}
_OSLO_PREFIX = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} \d+ [A-Z]+ \S+ (?:\[instance: [^\]]+\] )?"
)
# fromisoformat reads oslo.log, RabbitMQ and RFC 3339 syslog stamps; these are the rest
_FORMATS = ("%d/%b/%Y:%H:%M:%S %z", "%Y-%m-%d %H:%M:%S")  # Apache %t, MariaDB


class Contract:
    """The field table of interfaces/log-fields/v1/fields.yaml."""

    def __init__(self, root: Path):
        path = root / "interfaces" / "log-fields" / "v1" / "fields.yaml"
        doc, found = read_yaml(path, str(path))
        if doc is None:
            raise ValueError("; ".join(f.as_text() for f in found) or f"cannot read {path}")
        self.fields: dict[str, str] = doc.data["fields"]
        self.units: dict[str, dict] = doc.data["units"]
        self.levels = {
            word.lower(): level for level, words in doc.data["levels"].items() for word in words
        }
        self.levels.update({level.lower(): level for level in doc.data["levels"]})
        self.order = {name: i for i, name in enumerate(self.fields)}


@cache
def contract(root: Path) -> Contract:
    return Contract(root)


def timestamp(text: str) -> str:
    """ISO 8601 with milliseconds, from any timestamp the covered logs print."""
    text = " ".join(text.split())
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _FORMATS:
            try:
                when = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"unknown timestamp format: {text!r}") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S") + f".{when.microsecond // 1000:03d}"
    return stamp + ("Z" if when.tzinfo is not None else "")


def _traceback(text: str) -> str:
    lines = [_OSLO_PREFIX.sub("", line, count=1) for line in text.split("\n")]
    return "\n".join(line for line in lines if line.strip())


def event(c: Contract, captures: dict | None, record: str, base: dict | None = None) -> dict:
    """One log-fields/v1 event from what a parser captured on `record`, over
    what it captured from the file's path (`base`). `captures` is None when no
    rule of the bundle matched the record."""
    raw = dict(base or {})
    if captures is None:
        raw.update({"message": record, "unparsed": "true"})
    else:
        raw.update({k: v for k, v in captures.items() if v is not None})
    out: dict = {}
    for name, value in raw.items():
        if value is None or value.strip() in PLACEHOLDERS:
            continue
        if name in c.units:
            unit = c.units[name]
            out[unit["field"]] = round(float(value) / unit["divisor"], 9)
            continue
        if name not in c.fields:
            raise ValueError(f"capture {name!r} is not a log-fields/v1 field")
        kind = c.fields[name]
        if kind == "int":
            out[name] = int(value)
        elif kind == "float":
            out[name] = float(value)
        elif kind == "bool":
            out[name] = value.strip().lower() == "true"
        elif name == "timestamp":
            out[name] = timestamp(value)
        elif name == "level":
            out[name] = c.levels.get(value.lower(), value.upper())
        elif name == "traceback":
            tb = _traceback(value)
            if tb:
                out[name] = tb
        else:
            out[name] = value
    return dict(sorted(out.items(), key=lambda kv: c.order[kv[0]]))

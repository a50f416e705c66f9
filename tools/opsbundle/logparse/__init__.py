"""Run a parser bundle's own rules on log lines: `opsbundle parse` and the
log-fields/v1 conformance suite.

Each tool module (`fluentd`, `logstash`, `splunk`, `rsyslog`) has `TOOL` (the
manifest's tool.name), `BINARY`/`PACKAGE` (the engine it needs; a Python
library engine has `available()` instead),
`read(rendered)` which finds in the bundle's rendered configuration the inputs
it defines (which log paths, how lines fold into records, which patterns
match them) and `match(groups)`, which gets [(input, [(host path, lines)...])...]
and runs the input's rules on the engine the tool really uses, returning
[[(captures from the file's path, [(captures or None, record text)...]) per
file] per input]. Nothing here
knows a pattern: a broken pattern in a shipped config fails here. What
happens after matching is `normalise`, shared by all.

A log file goes to the first input whose path globs match where the file lives
on a host, as the tool's own input does; the sample values' layout says where
that is, or `--as` names it.
"""

from __future__ import annotations

import fnmatch
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import normalise

TOOLS = ("fluentd", "logstash", "splunk", "rsyslog")


class ParseError(Exception):
    """The bundle's rules cannot run; the message says where and why."""


@dataclass
class Rule:
    """A pattern as the bundle ships it, and where it was read from."""

    source: str
    where: str
    multiline: bool = False


@dataclass
class Input:
    """One input of the tool's configuration: which files, how lines fold
    into records (a line matching any of `starts` begins one; none: every line
    is a record) and the patterns tried on each record, first match wins."""

    globs: list[str]
    patterns: list[Rule]
    starts: list[Rule] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    # patterns on the file's path (service, program), as the tool's path metadata gives it
    path_patterns: list[Rule] = field(default_factory=list)
    where: str = ""
    extra: dict = field(default_factory=dict)  # tool-specific (e.g. a rulebase path)


@dataclass
class Rendered:
    """A bundle rendered into a scratch folder: destination -> file, and
    destination -> template it came from (what errors point at)."""

    files: dict[str, Path]
    shown: dict[str, str]

    def where(self, dest: str) -> str:
        """How findings name a rendered file: its template, then the line in `dest`."""
        return f"{self.shown[dest]} (rendered {dest})"

    def only(self, suffix: str) -> list[str]:
        return sorted(d for d in self.files if d.endswith(suffix))


def _parsers() -> dict:
    import importlib

    modules = [importlib.import_module(f".{n}", __name__) for n in TOOLS]
    return {m.TOOL: m for m in modules}


def parser_for(bundle):
    tool = bundle.data.get("tool")
    name = tool.get("name") if isinstance(tool, dict) else None
    module = _parsers().get(name)
    if module is None:
        raise ParseError(f"{bundle.ref}: no parser runner for tool {name!r}")
    return module


def render_values(bundle) -> dict:
    """The sample values, with every service the bundle covers on the host, so
    every input the bundle can define is in the rendered configuration."""
    values = bundle.sample_values()
    if "log_services" in bundle.parameters():
        values["log_services"] = list(bundle.data.get("services") or values["log_services"])
    return values


@contextmanager
def rendered(ctx, bundle):
    from ..render import RenderError, render_files
    from ..values import Layer, ValuesError, resolve

    tmp = Path(tempfile.mkdtemp(prefix="opsbundle-parse-"))
    try:
        try:  # parse renders with values like any other: type and format checked
            vocab = {"services": ctx.registry.services, "roles": ctx.registry.roles}
            values = resolve(bundle, [Layer("opsbundle parse", render_values(bundle))], vocab)
            entries = render_files(ctx, bundle, values, tmp)
        except ValuesError as exc:
            raise ParseError(f"{bundle.ref}: bad values:\n{exc}") from None
        except RenderError as exc:
            raise ParseError(f"{bundle.ref} does not render: {exc}") from None
        yield Rendered(
            {e["dest"]: tmp / e["source"] for e in entries},
            {e["dest"]: f"{bundle.ref}/{e['source_file']}" for e in entries},
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def host_path(ctx, bundle, service: str, name: str) -> str:
    """Where the layout of the sample values puts `name` of `service`."""
    values = bundle.sample_values()
    layouts = ctx.registry.interfaces["log-collection/v1"].data["layouts"]
    layout = layouts.get(values.get("log_layout"), layouts["debian"])
    return f"{layout['path'].replace('{service}', service)}/{name}"


def route(inputs: list[Input], path: str, accepts=None) -> int:
    """The first input that reads `path`; `accepts(input, path)` is a tool's own
    extra filter (splunk's blacklist regex)."""
    for i, item in enumerate(inputs):
        if (
            any(fnmatch.fnmatchcase(path, g) for g in item.globs)
            and not any(fnmatch.fnmatchcase(path, g) for g in item.exclude)
            and (accepts is None or accepts(item, path))
        ):
            return i
    raise ParseError(f"no input of the bundle reads {path}")


def installed(module) -> bool:
    """A runner whose engine is a Python library says so with `available()`."""
    available = getattr(module, "available", None)
    if available is not None:
        return available()
    return shutil.which(module.BINARY) is not None


def parse(ctx, bundle, files: list[tuple[str, list[str]]]) -> list[list[dict]]:
    """Events for each (host path, lines), in order, from the bundle's rules."""
    module = parser_for(bundle)
    if not installed(module):
        raise ParseError(
            f"{module.BINARY} is not installed (Debian package {module.PACKAGE}); "
            "run tools/setup.sh"
        )
    with rendered(ctx, bundle) as out:
        inputs = module.read(out)
        if not inputs:
            raise ParseError(f"{bundle.ref}: its configuration defines no log input")
        accepts = getattr(module, "accepts", None)
        routed = [route(inputs, path, accepts) for path, _ in files]
        groups = []
        for i, item in enumerate(inputs):
            mine = [n for n, r in enumerate(routed) if r == i]
            if mine:
                groups.append((item, mine))
        results = module.match([(item, [files[n] for n in mine]) for item, mine in groups])
    contract = normalise.contract(ctx.root)
    events: list[list[dict]] = [[] for _ in files]
    for (_, mine), per_file in zip(groups, results, strict=True):
        for n, (from_path, records) in zip(mine, per_file, strict=True):
            try:
                events[n] = [normalise.event(contract, c, r, from_path) for c, r in records]
            except ValueError as exc:
                raise ParseError(f"{bundle.ref}: {exc}") from None
    return events


def read_lines(path: Path | None) -> list[str]:
    """A log file's lines (stdin when `path` is None); a clear error, never a traceback."""
    import sys

    try:
        data = sys.stdin.buffer.read() if path is None else path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path or 'stdin'}: not UTF-8 (byte {exc.start})") from None


def command(ctx, ref: str, file: Path | None, as_path: str | None, out) -> None:
    """`opsbundle parse`: one JSON event per line on `out`, all or nothing."""
    import json

    bundle = ctx.bundle(ref)
    if bundle is None or bundle.manifest is None:
        raise ParseError(f"{ref}: no such bundle, or its manifest does not load")
    if "log-fields/v1" not in bundle.implements():
        raise ParseError(f"{ref} does not implement log-fields/v1")
    lines = read_lines(file)
    if as_path is None:
        name = file.name if file else "nova-api.log"
        service = file.resolve().parent.name if file else "nova"
        as_path = host_path(ctx, bundle, service, name)
    (events,) = parse(ctx, bundle, [(as_path, lines)])
    out.write("".join(json.dumps(e) + "\n" for e in events))


def check_rendered(module, files: dict[str, Path], shown: dict[str, str]) -> str | None:
    """Read a rendered bundle's rules and compile every pattern on the tool's
    engine without input: what `opsbundle validate` runs for parser bundles.
    None when all is well, else the reason."""
    try:
        inputs = module.read(Rendered(files, shown))
        if not inputs:
            return "the configuration defines no log input"
        module.match([(item, []) for item in inputs])
    except ParseError as exc:
        return str(exc)
    return None

"""Run a parser bundle's own rules on log lines: `opsbundle parse` and the
log-fields/v1 conformance suite.

Each tool module (`fluentd`, `logstash`, `splunk`, `rsyslog`) has `TOOL` (the
manifest's tool.name), `BINARY`/`PACKAGE` (the engine it needs; a Python
library engine has `available()` instead), `read(rendered)`, which finds in
the bundle's rendered configuration the inputs it defines (which log paths,
how lines fold into records, the rules and the conversions after them), and
`match(groups)`, which gets [(input, [(host path, lines)...])...] and runs
them where the tool runs them (rsyslogd itself; Onigmo, Joni or PCRE2 with an
emulator of the tool's conversion directives), returning
[[(captures from the file's path, [(event, record text)...]) per file] per
input]. The event is what the tool emitted: nothing here knows a pattern or a
field, and nothing converts the events afterwards, so a broken pattern or
conversion in a shipped config fails here.

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

from . import journal
from .errors import ParseError, UsageError

TOOLS = ("fluentd", "logstash", "splunk", "rsyslog")


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


def reads_journal(bundle) -> bool:
    """A bundle reads the systemd journal when it lets a site say which
    services log there (`journal_services`)."""
    return "journal_services" in bundle.parameters()


def render_values(bundle) -> dict:
    """The sample values, with every service the bundle covers on the host
    (in its log files and, where it reads the journal, in the journal), so
    every input the bundle can define is in the rendered configuration."""
    values = bundle.sample_values()
    for name in ("log_services", "journal_services"):
        if name in bundle.parameters():
            values[name] = list(bundle.data.get("services") or values[name])
    return values


def values_for(bundle, layers=(), ctx=None) -> dict:
    """The values a parse renders with: the bundle's examples (every service it
    covers), then the site's layers (--values files, --set) on top, each
    checked against its parameter's format (the vocabulary's words with `ctx`)."""
    from ..values import ValuesError, resolve

    vocab = {"services": ctx.registry.services, "roles": ctx.registry.roles} if ctx else None
    try:
        return resolve(bundle, [("the bundle's examples", render_values(bundle)), *layers], vocab)
    except ValuesError as exc:
        raise UsageError(str(exc)) from None


@contextmanager
def rendered(ctx, bundle, values: dict | None = None):
    from ..render import RenderError, render_files

    tmp = Path(tempfile.mkdtemp(prefix="opsbundle-parse-"))
    try:
        try:
            entries = render_files(ctx, bundle, values or render_values(bundle), tmp)
        except RenderError as exc:
            raise ParseError(f"{bundle.ref} does not render: {exc}") from None
        yield Rendered(
            {e["dest"]: tmp / e["source"] for e in entries},
            {e["dest"]: f"{bundle.ref}/{e['source_file']}" for e in entries},
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def host_path(ctx, bundle, service: str, name: str, values: dict | None = None) -> str:
    """Where the layout of the values (default: the bundle's examples) puts
    `name` of `service`; a journal export (`<program>.export`) is the
    journal's entries of that program (logparse.journal)."""
    if journal.is_case(name):
        return journal.address(Path(name).stem)
    values = values or bundle.sample_values()
    layouts = ctx.registry.interfaces["log-collection/v1"].data["layouts"]
    layout = layouts.get(values.get("log_layout"), layouts["debian"])
    own = (layout.get("services") or {}).get(service)
    folder = own[0] if own else layout["path"].replace("{service}", service)
    return f"{folder}/{name}"


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
    known = ", ".join(
        " ".join(item.globs) + (f" (not {' '.join(item.exclude)})" if item.exclude else "")
        for item in inputs
    )
    raise UsageError(
        f"no input of the bundle reads {path}; its inputs read: {known} "
        "(--as names where the file lies on a host; --values/--set the site's layout and services)"
    )


def installed(module) -> bool:
    """A runner whose engine is a Python library says so with `available()`."""
    available = getattr(module, "available", None)
    if available is not None:
        return available()
    return shutil.which(module.BINARY) is not None


def batches(ctx, bundle, files, values=None):
    """(module, groups, batch) for the files: the inputs that read them."""
    module = parser_for(bundle)
    if not installed(module):
        raise UsageError(
            f"{module.BINARY} is not installed (Debian package {module.PACKAGE}); "
            "run tools/setup.sh"
        )
    with rendered(ctx, bundle, values) as out:
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
        yield module, groups, [(item, [files[n] for n in mine]) for item, mine in groups]


def stream(ctx, bundle, files: list[tuple[str, Path]], values: dict | None = None):
    """(file index, event) for each (host path, local file), each file's events
    in order, as the tool emits them: nothing is converted after the tool."""
    for module, groups, batch in batches(ctx, bundle, files, values):
        for g, f, event in module.stream(batch):
            yield groups[g][1][f], event


def write(ctx, bundle, files: list[tuple[str, Path]], out, values: dict | None = None) -> None:
    """Every event of the files, one JSON line each, on `out`, each file's
    events in order. A runner that can write them itself (`stream_to`) gets `out`'s file
    descriptor: the events go from the engine's process to the output with
    nothing in between, as a tool ships them."""
    import json

    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    for module, _, batch in batches(ctx, bundle, files, values):
        if fd is not None and hasattr(module, "stream_to"):
            out.flush()
            module.stream_to(batch, fd)
            return
        for _, _, event in module.stream(batch):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")


def parse(ctx, bundle, files: list[tuple[str, Path]], values=None) -> list[list[dict]]:
    """Every event of each (host path, local file), per file."""
    events: list[list[dict]] = [[] for _ in files]
    for n, event in stream(ctx, bundle, files, values):
        events[n].append(event)
    return events


def parse_renders(ctx, bundle, renders: list[tuple[list, dict | None]]) -> list:
    """parse() of one bundle rendered several times (files, values): for
    each render, its events per file, or the ParseError parse() would raise.
    One engine process reads every render: a tool's inputs hold everything
    they need, so the inputs of all renders go in one request (a JVM start
    is seconds), except where a runner reads a whole render's configuration
    (`RENDER_WIDE`: rsyslogd's). If that run fails, each render is parsed
    alone, so each error is its own."""
    try:
        wide = getattr(parser_for(bundle), "RENDER_WIDE", False)
    except ParseError as exc:
        return [exc] * len(renders)
    if len(renders) > 1 and not wide:
        opened = [batches(ctx, bundle, files, values) for files, values in renders]
        try:
            found = [next(each) for each in opened]  # each render stays on disk while open
            module, batch, owners = found[0][0], [], []
            for r, (_, groups, mine) in enumerate(found):
                batch += mine
                owners += [(r, members) for _, members in groups]
            events: list = [[[] for _ in files] for files, _ in renders]
            for g, f, event in module.stream(batch):
                r, members = owners[g]
                events[r][members[f]].append(event)
            return events
        except ParseError:
            pass  # parsed alone below
        finally:
            for each in opened:
                each.close()
    said = []
    for files, values in renders:
        try:
            said.append(parse(ctx, bundle, files, values))
        except ParseError as exc:
            said.append(exc)
    return said


def _checked_copy(source, target: Path, shown: str) -> None:
    """Copy a log (a file or stdin) to `target`, a chunk at a time, checking
    that it is UTF-8 before any event is written (not a journal export: its
    fields with line breaks are binary; systemd-journal-remote checks it)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    text = not journal.is_case(target.name)
    offset = 0
    with target.open("wb") as out:
        while chunk := source.read(1 << 20):
            try:
                if text:
                    decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise UsageError(f"{shown}: not UTF-8 (byte {offset + exc.start})") from None
            offset += len(chunk)
            out.write(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise UsageError(f"{shown}: not UTF-8 (it ends inside a character)") from None


def command(ctx, ref: str, file: Path | None, as_path: str | None, out, layers=()) -> None:
    """`opsbundle parse`: one JSON event per line on `out`, written as the tool
    emits it. Everything that can be refused (the bundle, the values, where
    the file lies, whether it is readable UTF-8) is before the first line."""
    import sys

    bundle = ctx.bundle(ref)
    if bundle is None or bundle.manifest is None:
        raise UsageError(f"{ref}: no such bundle, or its manifest does not load")
    if "log-fields/v1" not in bundle.implements():
        raise UsageError(f"{ref} does not implement log-fields/v1")
    values = values_for(bundle, layers, ctx)
    with tempfile.TemporaryDirectory(prefix="opsbundle-parse-input-") as tmp:
        local = Path(tmp) / (file.name if file else "stdin.log")
        try:
            source = sys.stdin.buffer if file is None else file.open("rb")
        except OSError as exc:
            raise UsageError(f"{file}: cannot read: {exc.strerror}") from None
        try:
            _checked_copy(source, local, str(file or "stdin"))
        except OSError as exc:
            raise UsageError(f"{file or 'stdin'}: cannot read: {exc.strerror}") from None
        finally:
            if file is not None:
                source.close()
        if as_path is None:
            name = file.name if file else "nova-api.log"
            service = file.resolve().parent.name if file else "nova"
            as_path = host_path(ctx, bundle, service, name, values)
        write(ctx, bundle, [(as_path, local)], out, values)


def check_rendered(module, files: dict[str, Path], shown: dict[str, str]) -> str | None:
    """Read a rendered bundle's rules and compile every pattern on the tool's
    engine without input: what `opsbundle validate` runs for parser bundles.
    None when all is well, else the reason."""
    try:
        inputs = module.read(Rendered(files, shown))
        if not inputs:
            return "the configuration defines no log input"
        for _ in module.stream([(item, []) for item in inputs]):
            pass
    except ParseError as exc:
        return str(exc)
    return None

"""splunk: inputs.conf monitors, props.conf line breaking and REPORT classes,
transforms.conf REGEX, run in PCRE2 (the library splunk's regexes use).

As splunk does: a file goes to the first `[monitor://...]` whose path matches
(`*` within a folder, `...` across folders) and whose `blacklist` regex does
not; its sourcetype's LINE_BREAKER splits the text into events (the first
capture group is the break and is dropped; SHOULD_LINEMERGE must be false);
each transform of each REPORT- class (classes in ASCII order) extracts its
named groups from the event, the first value of a field kept; `_time` comes
from TIME_PREFIX/TIME_FORMAT/MAX_TIMESTAMP_LOOKAHEAD, then every `EVAL-`
runs (`splunk_eval.py`). The event is what `| tojson` writes of it: every
field but Splunk's internal ones (names beginning with `_`), with the types
eval gave them.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from . import Input, ParseError, Rule
from .splunk_eval import EvalError, compile_eval, event_time, run_evals, time_parser

TOOL = "splunk"
BINARY = "pcre2"  # a library (PyPI pcre2, PCRE2 built in), not a program
PACKAGE = "pcre2 (PyPI)"


def available() -> bool:
    try:
        import pcre2  # noqa: F401
    except ImportError:
        return False
    return True


def _conf(out, name: str) -> tuple[configparser.RawConfigParser, str]:
    dests = out.only(f"/{name}")
    if len(dests) != 1:
        raise ParseError(f"the bundle must render exactly one {name} (found {len(dests)})")
    parser = configparser.RawConfigParser(
        delimiters=("=",), comment_prefixes=("#",), strict=True, interpolation=None
    )
    parser.optionxform = str
    try:
        parser.read_string(out.files[dests[0]].read_text(encoding="utf-8"), out.where(dests[0]))
    except configparser.Error as exc:
        raise ParseError(f"{out.where(dests[0])}: {exc}") from None
    return parser, out.where(dests[0])


def _compile(source: str | bytes, where: str):
    import pcre2

    try:
        return pcre2.compile(source)
    except Exception as exc:  # pcre2.PatternError and friends
        raise ParseError(f"{where}: PCRE2 rejects the pattern: {exc}") from None


def _monitor_glob(path: str) -> str:
    return path.replace("...", "*")


def read(out) -> list[Input]:
    inputs_conf, inputs_at = _conf(out, "inputs.conf")
    props, props_at = _conf(out, "props.conf")
    transforms, transforms_at = _conf(out, "transforms.conf")
    found = []
    for stanza in inputs_conf.sections():
        if not stanza.startswith("monitor://"):
            continue
        where = f"{inputs_at} [{stanza}]"
        sourcetype = inputs_conf[stanza].get("sourcetype")
        if not sourcetype or not props.has_section(sourcetype):
            raise ParseError(f"{where}: sourcetype {sourcetype!r} has no props.conf stanza")
        st = props[sourcetype]
        st_at = f"{props_at} [{sourcetype}]"
        if st.get("SHOULD_LINEMERGE", "true").strip().lower() != "false":
            raise ParseError(f"{st_at}: SHOULD_LINEMERGE must be false (LINE_BREAKER does it)")
        breaker = Rule(st.get("LINE_BREAKER", r"([\r\n]+)"), f"{st_at} LINE_BREAKER")
        patterns, on_source = [], []
        for key in sorted(k for k in st if k.startswith("REPORT-")):
            for name in (n.strip() for n in st[key].split(",") if n.strip()):
                if not transforms.has_section(name) or "REGEX" not in transforms[name]:
                    raise ParseError(f"{st_at} {key}: transform {name!r} has no REGEX")
                rule = Rule(transforms[name]["REGEX"], f"{transforms_at} [{name}] REGEX")
                key_of = transforms[name].get("SOURCE_KEY", "_raw").strip()
                if key_of == "MetaData:Source":
                    on_source.append(rule)
                elif key_of == "_raw":
                    patterns.append(rule)
                else:
                    raise ParseError(f"{transforms_at} [{name}]: SOURCE_KEY {key_of} is not run")
        item = Input(
            globs=[_monitor_glob(stanza.removeprefix("monitor://"))],
            patterns=patterns,
            starts=[breaker],
            where=where,
            path_patterns=on_source,
            extra={"evals": _evals(st, st_at), "time": _time_settings(st, st_at)},
        )
        blacklist = inputs_conf[stanza].get("blacklist")
        if blacklist:
            item.extra["blacklist"] = _compile(blacklist, f"{where} blacklist")
        found.append(item)
    return found


def _evals(st, where: str) -> dict:
    found = {}
    for key in sorted(k for k in st if k.startswith("EVAL-")):
        try:
            found[key.removeprefix("EVAL-")] = compile_eval(st[key])
        except EvalError as exc:
            raise ParseError(f"{where} {key}: {exc}") from None
    return found


def _time_settings(st, where: str) -> tuple:
    try:
        parser = time_parser(st.get("TIME_FORMAT", "%Y-%m-%dT%H:%M:%S%:z"))
    except EvalError as exc:
        raise ParseError(f"{where} TIME_FORMAT: {exc}") from None
    prefix = st.get("TIME_PREFIX")
    compiled = None
    if prefix:
        import re

        try:
            compiled = re.compile(prefix)
        except re.error as exc:
            raise ParseError(f"{where} TIME_PREFIX: {exc}") from None
    return compiled, parser, int(st.get("MAX_TIMESTAMP_LOOKAHEAD", "128"))


def accepts(item: Input, path: str) -> bool:
    black = item.extra.get("blacklist")
    return black is None or black.search(path) is None


CHUNK = 1 << 20


def _breaks(buffer: bytes, breaker, upto: int):
    """(start, end) of the events LINE_BREAKER cuts in `buffer` before `upto`,
    and where the rest begins. The breaker runs on UTF-8 bytes, as splunk
    reads a stream (bytes also keep match offsets O(1) in the pcre2 binding)."""
    cuts, start = [], 0
    for m in breaker.finditer(buffer):
        # one span() call: the binding reads the subject's buffer on each
        a, b = m.span(1)
        if b > upto:
            break
        if b <= start or a == b:
            continue
        cuts.append((start, a))
        start = b
    return cuts, start


def _events(path: Path, breaker):
    """The events of a file, read a chunk at a time: a break is taken once the
    line after it is complete (the shipped breakers look one line ahead), so
    memory is one event and one chunk, whatever the file size."""
    pending = b""
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            buffer = pending + chunk
            safe = buffer.rfind(b"\n", 0, buffer.rfind(b"\n") if b"\n" in buffer else 0) + 1
            cuts, rest = _breaks(buffer, breaker, safe)
            yield from (buffer[a:b] for a, b in cuts)
            pending = buffer[rest:]
    cuts, rest = _breaks(pending, breaker, len(pending))
    yield from (pending[a:b] for a, b in cuts)
    yield pending[rest:].rstrip(b"\r\n")  # the file's last line break ends no event


def _text(event: bytes, path: Path) -> str | None:
    if not event.strip():
        return None
    try:
        return event.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{path}: not UTF-8") from None


def stream(groups):
    """(group, input, event) for every event, in each file's order."""
    for g, (item, inputs) in enumerate(groups):
        breaker = _compile(item.starts[0].source.encode("utf-8"), item.starts[0].where)
        if breaker.groups < 1:
            raise ParseError(f"{item.starts[0].where}: needs a capture group (the break)")
        compiled = [_compile(r.source, r.where) for r in item.patterns]
        on_source = [_compile(r.source, r.where) for r in item.path_patterns]
        prefix, parser, lookahead = item.extra["time"]
        for f, (path, local) in enumerate(inputs):
            from_path: dict = {}
            for regex in on_source:  # splunk's MetaData:Source is "source::<path>"
                m = regex.search(f"source::{path}")
                for k, v in (m.groupdict() if m else {}).items():
                    if v is not None:
                        from_path.setdefault(k, v)
            local = Path(local)
            for raw in _events(local, breaker):
                event = _text(raw, local)
                if event is None:
                    continue
                fields: dict = {}
                for regex in compiled:
                    m = regex.search(event)
                    if m:
                        for k, v in m.groupdict().items():
                            if v is not None:
                                fields.setdefault(k, v)
                for k, v in from_path.items():  # REPORT-source sorts after REPORT-log_fields
                    fields.setdefault(k, v)
                fields.update(_raw=event, _time=event_time(event, prefix, parser, lookahead))
                try:
                    fields = run_evals(item.extra["evals"], fields)
                except EvalError as exc:
                    raise ParseError(f"{item.where}: EVAL: {exc}") from None
                yield g, f, {k: v for k, v in fields.items() if not k.startswith("_")}

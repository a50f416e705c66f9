"""rsyslog, for real: rsyslogd itself runs the bundle's drop-ins on the log
files (imfile with its startmsg.regex, mmnormalize with the shipped liblognorm
rulebase, the RainerScript of the parse ruleset, the shipped JSON template).

Only the shipping is swapped: the drop-in holding the `omfwd` action is left
out and an `opsbundles_forward` ruleset of this runner writes each event with
the bundle's own template to a file instead (and, beside it, which log file it
came from). Each log file is copied to where the bundle's imfile inputs look,
under a scratch root and a folder of its own. Two sentinel records close every file: when the first
one comes out, every record before it has been processed; then rsyslogd is
stopped. One rsyslogd per batch, after `rsyslogd -N1` accepted the same
configuration (rsyslogd runs on past a config error with its defaults).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import Input, ParseError, Rule, journal

TOOL = "rsyslog"
BINARY = "rsyslogd"
PACKAGE = "rsyslog"
TIMEOUT = 60
# one rsyslogd reads a render's whole configuration: inputs of two renders
# cannot share a run (logparse.parse_renders)
RENDER_WIDE = True
JOURNALS = 4  # rsyslogds reading a journal case each, side by side
SENTINEL = "9999-12-31 23:59:59.999 1 INFO opsbundle.sentinel [-] end of input"
# an imfile input up to its closing parenthesis (one inside a quoted value, as
# in startmsg.regex, does not close it)
_INPUT = re.compile(r'input\(\s*type="imfile"(?P<body>(?:"(?:\\.|[^"\\])*"|[^")])*)\)', re.S)
_PARAM = re.compile(r'(?P<key>[\w.]+)="(?P<value>(?:\\.|[^"\\])*)"')
_TEMPLATE = re.compile(r'type="omfwd".*?template="(?P<name>[^"]+)"', re.S)
# where a drop-in takes the journal's entries (imjournal's, in the default ruleset)
_JOURNAL = re.compile(r'\$inputname == "imjournal"')


def _unescape(value: str) -> str:
    """A RainerScript string constant's value."""
    return re.sub(r"\\(.)", r"\1", value)


def read(out) -> list[Input]:
    inputs = []
    for dest in out.only(".conf"):
        text = out.files[dest].read_text(encoding="utf-8")
        for m in _INPUT.finditer(text):
            params = {p["key"]: _unescape(p["value"]) for p in _PARAM.finditer(m["body"])}
            line = text.count("\n", 0, m.start()) + 1
            where = f"{out.where(dest)}:{line}"
            if "File" not in params:
                raise ParseError(f"{where}: imfile input without File")
            starts = [Rule(params["startmsg.regex"], where)] if "startmsg.regex" in params else []
            inputs.append(Input([params["File"]], [], starts, where=where, extra={"out": out}))
        if m := _JOURNAL.search(text):
            line = text.count("\n", 0, m.start()) + 1
            where = f"{out.where(dest)}:{line}"
            inputs.append(Input([journal.address("*")], [], where=where,
                                extra={"out": out, "journal": True}))  # fmt: skip
    return inputs


def _forward_template(out) -> str:
    for dest in out.only(".conf"):
        m = _TEMPLATE.search(out.files[dest].read_text(encoding="utf-8"))
        if m:
            return m["name"]
    raise ParseError("no omfwd action with a template in the bundle's drop-ins")


def _harness(template: str, events: Path, names: Path) -> str:
    # a bounded main queue: imfile waits for the rules instead of holding the
    # whole file in memory (memory flat in the file size)
    return (
        'main_queue(queue.size="2000")\n'
        'template(name="opsbundle_runner_source" type="string" '
        'string="%$!metadata!filename%\\n")\n'
        'ruleset(name="opsbundles_forward") {\n'
        f'    action(type="omfile" file="{names}" template="opsbundle_runner_source")\n'
        f'    action(type="omfile" file="{events}" template="{template}")\n'
        "}\n"
    )


class _Tail:
    """The complete lines a file has grown by since the last call."""

    def __init__(self, path: Path):
        self.path, self.offset, self.rest = path, 0, b""

    def new_lines(self) -> list[bytes]:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read(1 << 20)  # a chunk at a time: memory flat however fast it writes
        except FileNotFoundError:
            return []
        self.offset += len(data)
        *lines, self.rest = (self.rest + data).split(b"\n")
        return lines


def _copy(local: Path, copy: Path) -> None:
    """The log where the bundle's imfile looks, then the sentinels: streamed."""
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(local, copy)
    with copy.open("ab") as out:
        if copy.stat().st_size and not _ends_with_newline(copy):
            out.write(b"\n")
        out.write(f"{SENTINEL}\n{SENTINEL}\n".encode())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, 2)
        return f.read(1) == b"\n"


def stream(groups):
    """(group, input, event) as rsyslogd writes them; each file's in order."""
    for g, n, line in _run(groups):
        try:
            event = json.loads(line)
        except ValueError:
            raise ParseError(f"rsyslogd's template does not write JSON: {line[:200]!r}") from None
        yield g, n, event


def stream_to(groups, events_fd: int) -> None:
    """The events as rsyslogd's template wrote them (JSON lines), copied to
    `events_fd` as they come: nothing decodes them in between."""
    import os

    for _, _, line in _run(groups):
        os.write(events_fd, line + b"\n")


def _run(groups):
    """(group, input, JSON line) as rsyslogd writes them; each file's in order.
    The log files go through one rsyslogd; each journal case through one of
    its own (rsyslogd reads the journal at /var/log/journal only), JOURNALS
    of them side by side (each waits about a second on imjournal, and holds
    a handful of events)."""
    from concurrent.futures import ThreadPoolExecutor

    logs, journals = [], []
    for g, (item, cases) in enumerate(groups):
        for n, (host, local) in enumerate(cases):
            if item.extra.get("journal"):
                journals.append((g, n, host.removeprefix(journal.PREFIX), local))
            else:
                logs.append((g, n, host, local))
    yield from _batch(groups, logs)
    if journals:
        with ThreadPoolExecutor(max_workers=JOURNALS) as pool:
            for events in pool.map(lambda case: list(_batch(groups, [], case)), journals):
                yield from events


def _batch(groups, logs, entries=None):
    """One rsyslogd on `logs` [(group, input, host path, local file)], or on
    the journal of `entries` (group, input, program, export)."""
    from concurrent.futures import ThreadPoolExecutor

    from ..engines.rsyslog import localise, problems

    out = groups[0][0].extra["out"]
    template = _forward_template(out)
    with tempfile.TemporaryDirectory(prefix="opsbundle-rsyslog-") as tmp:
        work = Path(tmp)
        root = work / "root"
        wanted: dict[str, tuple[int, int]] = {}
        for g, n, host, local in logs:
            # one folder per file: two inputs may name the same host path
            copy = root / f"{len(wanted)}" / host.lstrip("/")
            _copy(Path(local), copy)
            wanted[str(copy)] = (g, n)
        reads_journal = any(item.extra.get("journal") for item, _ in groups)
        if entries is not None:
            g, n, program, export = entries
            journal.write(Path(export), program, work, SENTINEL)
            wanted[""] = (g, n)  # a journal entry has no file name
        elif reads_journal:  # an empty journal: never this machine's own
            (work / "journal").mkdir()
            (work / "machine-id").write_text("0" * 32 + "\n")
        events, names = work / "events.json", work / "sources"
        files = [(out.shown[d], out.files[d], d) for d in out.files]

        def rewrite(text: str) -> str | None:
            if 'type="omfwd"' in text:
                return None  # shipping is replaced by the runner's forward ruleset
            return re.sub(r'\bFile="/', f'File="{root}/*/', text)  # imfile's, not CAFile=

        main, where = localise(files, work, _harness(template, events, names), rewrite)
        # rsyslogd runs on past config errors (with defaults): `rsyslogd -N1`
        # checks the same configuration while it starts, and no event is
        # passed on before it has accepted it
        checking = ThreadPoolExecutor(1)
        checked = checking.submit(problems, main, where, files)
        checking.shutdown(wait=False)
        if not wanted:
            _refuse(checked.result())
            return
        argv = [BINARY, "-n", "-f", str(main), "-i", str(work / "rsyslogd.pid")]
        proc = subprocess.Popen(
            journal.namespaced(argv, work) if reads_journal else argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _refuse(checked.result())
            yield from _collect(proc, _Tail(names), _Tail(events), wanted)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _refuse(found: list) -> None:
    if found:
        raise ParseError("; ".join(f"{shown}: {message}" for shown, message in found[:3]))


_SENTINEL = b'"logger":"opsbundle.sentinel"'


def _collect(proc, sources: _Tail, lines: _Tail, wanted: dict):
    """Pair each event rsyslogd wrote with the file it came from, until every
    file's sentinel is through; an idle wait longer than TIMEOUT is an error."""
    pending_sources: list[bytes] = []
    pending_events: list[bytes] = []
    done: set[str] = set()
    deadline = time.monotonic() + TIMEOUT
    while done < set(wanted):
        new_sources, new_events = sources.new_lines(), lines.new_lines()
        if new_sources or new_events:
            deadline = time.monotonic() + TIMEOUT
        pending_sources += new_sources
        pending_events += new_events
        ready = min(len(pending_sources), len(pending_events))
        for raw, text in zip(pending_sources[:ready], pending_events[:ready], strict=True):
            source = raw.decode("utf-8")
            if source not in wanted or source in done:
                continue
            if _SENTINEL in text:
                done.add(source)
                continue
            yield (*wanted[source], text)
        del pending_sources[:ready], pending_events[:ready]
        if proc.poll() is not None:
            error = proc.stderr.read()[-800:]
            raise ParseError(f"rsyslogd stopped (exit {proc.returncode}): {error}")
        if time.monotonic() > deadline:
            raise ParseError(f"rsyslogd wrote nothing for {TIMEOUT} s")
        if not (new_sources or new_events):
            time.sleep(0.02)

"""The processes parse_bench.py times, one per command, each run fresh:

    python tools/bench/parse_jobs.py runner ROOT REF INDEX
    python tools/bench/parse_jobs.py request ROOT REF INDEX OUT
    python tools/bench/parse_jobs.py patterns ROOT REF INDEX OUT
    python tools/bench/parse_jobs.py splunk-alone ROOT INDEX
    python tools/bench/parse_jobs.py splunk-tool ROOT INDEX
    python tools/bench/parse_jobs.py rsyslog-alone ROOT INDEX WORK

INDEX lists the files ([service, name, path]...).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from opsbundle import logparse
from opsbundle.checks import Context


def _setup(root: str, ref: str, index: str):
    ctx = Context.for_repo(Path(root))
    bundle = ctx.bundle(ref)
    listing = json.loads(Path(index).read_text())
    return ctx, bundle, listing


def runner(root: str, ref: str, index: str) -> int:
    """`opsbundle parse`'s code path (logparse.write) over every file, events
    to /dev/null."""
    ctx, bundle, listing = _setup(root, ref, index)
    files = [(logparse.host_path(ctx, bundle, s, n), Path(p)) for s, n, p in listing]
    with open(os.devnull, "w") as out:
        logparse.write(ctx, bundle, files, out)
    return 0


def request(root: str, ref: str, index: str, out: str) -> int:
    """The Ruby runner's request for every file (parse_bench's "tool alone")."""
    from opsbundle.logparse import ruby

    ctx, bundle, listing = _setup(root, ref, index)
    files = [(logparse.host_path(ctx, bundle, s, n), Path(p)) for s, n, p in listing]
    for _, _, batch in logparse.batches(ctx, bundle, files):
        Path(out).write_text(ruby.request(batch, 1))
    return 0


def patterns(root: str, ref: str, index: str, out: str) -> int:
    """The start and parse patterns of each file's input, for engine_alone.rb."""
    ctx, bundle, listing = _setup(root, ref, index)
    module = logparse.parser_for(bundle)
    with logparse.rendered(ctx, bundle) as rendered:
        inputs = module.read(rendered)
    accepts = getattr(module, "accepts", None)
    groups = [
        {"starts": [r.source for r in i.starts], "patterns": [], "inputs": []} for i in inputs
    ]
    for service, name, path in listing:
        n = logparse.route(inputs, logparse.host_path(ctx, bundle, service, name), accepts)
        item, group = inputs[n], groups[n]
        if "fluentd" in item.extra:  # in_tail folds, then the kind's parser filter parses
            settings = item.extra["fluentd"]
            tag = settings["tag"].replace("*", "x")
            group["patterns"] = [
                {"source": f["parse"]["expression"]["source"], "multiline": True}
                for f in settings["filters"]
                if f["op"] == "parser" and re.match(f["match"].replace("\\z", "\\Z"), tag)
            ][:1]
        else:
            group["patterns"] = [
                {"source": r.source, "multiline": r.multiline} for r in item.patterns
            ]
        group["inputs"].append(path)
    Path(out).write_text(json.dumps([g for g in groups if g["inputs"]]))
    return 0


def splunk_alone(root: str, index: str) -> int:
    """PCRE2 breaking events and running the REPORT regexes, JSON lines out."""
    import pcre2
    from opsbundle.logparse import splunk

    ctx, bundle, listing = _setup(root, "logging/splunk", index)
    with logparse.rendered(ctx, bundle) as rendered:
        inputs = splunk.read(rendered)
    with open(os.devnull, "w") as out:
        for service, name, path in listing:
            where = logparse.host_path(ctx, bundle, service, name)
            item = inputs[logparse.route(inputs, where, splunk.accepts)]
            breaker = pcre2.compile(item.starts[0].source.encode())
            regexes = [pcre2.compile(r.source) for r in item.patterns]
            for raw in splunk._events(Path(path), breaker):
                event, fields = raw.decode(), {}
                for regex in regexes:
                    m = regex.search(event)
                    if m:
                        fields.update({k: v for k, v in m.groupdict().items() if v is not None})
                out.write(json.dumps(fields) + "\n")
    return 0


def splunk_tool(root: str, index: str) -> int:
    """splunk's whole work on the files, as the tool's own process does it:
    the config read and each file routed to its input (logparse.batches),
    then every event through the emulated pipeline (splunk.stream: breaking,
    REPORT, _time, EVAL), JSON lines out, without opsbundle's CLI and output
    around it."""
    ctx, bundle, listing = _setup(root, "logging/splunk", index)
    files = [(logparse.host_path(ctx, bundle, s, n), Path(p)) for s, n, p in listing]
    with open(os.devnull, "w") as out:
        for module, _, batch in logparse.batches(ctx, bundle, files):
            for _, _, event in module.stream(batch):
                out.write(json.dumps(event, ensure_ascii=False) + "\n")
    return 0


def rsyslog_alone(root: str, index: str, work: str) -> int:
    """rsyslogd on the runner's own harness config, waited for by its output
    file alone (every file's first sentinel: all its records are out)."""
    from opsbundle.engines.rsyslog import localise
    from opsbundle.logparse import rsyslog

    ctx, bundle, listing = _setup(root, "logging/rsyslog", index)
    work_dir = Path(work)
    with logparse.rendered(ctx, bundle) as out:
        files = [(out.shown[d], out.files[d], d) for d in out.files]
        tree = work_dir / "root"
        for n, (service, name, path) in enumerate(listing):
            host = logparse.host_path(ctx, bundle, service, name).lstrip("/")
            rsyslog._copy(Path(path), tree / str(n) / host)
        events, names = work_dir / "events.json", work_dir / "sources"

        def rewrite(text: str) -> str | None:
            return (
                None if 'type="omfwd"' in text else re.sub(r'\bFile="/', f'File="{tree}/*/', text)
            )

        harness = rsyslog._harness(rsyslog._forward_template(out), events, names)
        main, _ = localise(files, work_dir, harness, rewrite)
        proc = subprocess.Popen(["rsyslogd", "-n", "-f", str(main), "-i", str(work_dir / "pid")])
        seen, offset = 0, 0
        while seen < len(listing):
            time.sleep(0.02)
            if events.exists():
                with events.open("rb") as f:
                    f.seek(offset)
                    data = f.read()
                offset += len(data)
                seen += data.count(b"opsbundle.sentinel")
        proc.terminate()
        proc.wait()
    return 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    jobs = {"runner": runner, "request": request, "patterns": patterns,
            "splunk-alone": splunk_alone, "splunk-tool": splunk_tool,
            "rsyslog-alone": rsyslog_alone}  # fmt: skip
    sys.exit(jobs[command](*args))

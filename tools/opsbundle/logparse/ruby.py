"""Run a bundle's rules in Ruby's Regexp: Onigmo under `ruby`, Joni under `jruby`.

One process per batch (JRuby takes about 1.5 s to start): the rules of every
input group and the paths of the files go to regex_runner.rb in one JSON
request; it reads the files itself and writes one JSON line per event, which
this passes on as it comes, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from . import ParseError

RUNNER = Path(__file__).with_name("regex_runner.rb")
# JRuby's JVM for a short batch: the client compiler only, the serial
# collector, class data sharing and a bounded heap (its start halves on a
# loaded machine; the heap, not the file size, bounds its memory). Options
# in the caller's JAVA_OPTS come after, so they win.
JVM_OPTIONS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Xmx384m"


# With TZ unset, glibc stats /etc/localtime again at every local time it
# computes (four stats per timestamp fluentd's strptime parses, the most
# expensive part of a record's time); TZ=":/etc/localtime" names the very
# same zone file, read once. A TZ the caller set is kept.
LOCALTIME = "/etc/localtime"


def environment(binary: str) -> dict | None:
    """The environment the runner starts with (None: this process's)."""
    import os

    if Path(binary).name == "jruby":
        options = f"{JVM_OPTIONS} {os.environ.get('JAVA_OPTS', '')}".strip()
        return {**os.environ, "JAVA_OPTS": options}
    if "TZ" not in os.environ and Path(LOCALTIME).exists():
        return {**os.environ, "TZ": f":{LOCALTIME}"}
    return None


def request(groups, events_fd: int | None) -> str:
    """The runner's JSON request for `groups` (events to `events_fd` when given)."""
    return json.dumps(
        {
            **({"events_fd": events_fd} if events_fd is not None else {}),
            "groups": [
                {
                    "starts": [r.source for r in item.starts],
                    "patterns": [
                        {"source": r.source, "multiline": r.multiline} for r in item.patterns
                    ],
                    "path_patterns": [r.source for r in item.path_patterns],
                    "inputs": [{"path": path, "file": str(local)} for path, local in inputs],
                    **{k: item.extra[k] for k in ("logstash", "fluentd") if k in item.extra},
                }
                for item, inputs in groups
            ],
        }
    )


def _refusal(binary: str, groups, answer: dict) -> ParseError:
    if answer.get("where"):
        return ParseError(answer["error"])  # it names the file and line itself
    item = groups[answer["group"]][0]
    rule = getattr(item, answer["which"])[answer["index"]]
    return ParseError(f"{rule.where}: {binary} rejects the pattern: {answer['error']}")


def stream(binary: str, groups, events_fd: int | None = None):
    """(group, input, event) for every event, in each file's order; with
    `events_fd`, the runner writes each event as a JSON line to that file
    descriptor itself and this yields nothing (`opsbundle parse`)."""
    import os

    if events_fd is not None:
        # a copy above 2: the child's stdin, stdout and stderr are our pipes,
        # so `opsbundle parse`'s stdout (1) would be taken for an answer
        events_fd = os.dup(events_fd)
        try:
            yield from _stream(binary, groups, events_fd)
        finally:
            os.close(events_fd)
        return
    yield from _stream(binary, groups, None)


def _stream(binary: str, groups, events_fd: int | None):
    proc = subprocess.Popen(
        [binary, str(RUNNER)],
        pass_fds=() if events_fd is None else (events_fd,),
        env=environment(binary),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        proc.stdin.write(request(groups, events_fd))
        proc.stdin.close()
        done = False
        for line in proc.stdout:
            try:
                answer = json.loads(line)
            except ValueError:
                raise ParseError(f"{binary} gave no answer: {line[:200]!r}") from None
            if "e" in answer:
                yield answer["g"], answer["f"], answer["e"]
            elif "error" in answer:
                raise _refusal(binary, groups, answer)
            elif answer.get("done"):
                done = True
        code = proc.wait()
        if code != 0 or not done:
            error = proc.stderr.read().strip()[-500:]
            raise ParseError(f"{binary} failed (exit {code}): {error}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            pipe.close()

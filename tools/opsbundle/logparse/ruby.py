"""Run patterns in Ruby's Regexp: Onigmo under `ruby`, Joni under `jruby`.

One process per batch (JRuby takes about 1.5 s to start): every input group
and every file go to regex_runner.rb in one JSON request.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from . import ParseError

RUNNER = Path(__file__).with_name("regex_runner.rb")
TIMEOUT = 600


def run(binary: str, groups) -> list:
    request = {
        "groups": [
            {
                "starts": [r.source for r in item.starts],
                "patterns": [{"source": r.source, "multiline": r.multiline} for r in item.patterns],
                "path_patterns": [r.source for r in item.path_patterns],
                "inputs": [{"path": path, "lines": lines} for path, lines in inputs],
                **{k: item.extra[k] for k in ("logstash", "fluentd") if k in item.extra},
            }
            for item, inputs in groups
        ]
    }
    try:
        done = subprocess.run(
            [binary, str(RUNNER)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ParseError(f"{binary} did not finish within {TIMEOUT} s") from None
    if done.returncode != 0:
        raise ParseError(f"{binary} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise ParseError(f"{binary} gave no answer: {done.stdout[:200]!r}") from None
    if "error" in answer and answer.get("where"):
        raise ParseError(answer["error"])  # it names the file and line itself
    if "error" in answer:
        item = groups[answer["group"]][0]
        rule = getattr(item, answer["which"])[answer["index"]]
        raise ParseError(f"{rule.where}: {binary} rejects the pattern: {answer['error']}")
    return [
        [
            (from_path, [(event, record) for _, event, record in records])
            for from_path, records in group
        ]
        for group in answer["results"]
    ]

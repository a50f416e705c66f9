"""The parser bundles whose tool runs on a regex engine outside Python
(fluentd on Onigmo, logstash on Joni): read each rendered configuration as
the bundle's runner in `logparse/` reads it, then compile every pattern of
every bundle in one engine process (patterns de-duplicated), exactly as the
runner would compile it, with no input. One NAT001 per bundle that fails,
naming the pattern's template and rendered line; the same first error the
runner would stop at.

The programs read a header line per pattern, "<m|-> <length in bytes>\\n"
(m: Ruby's MULTILINE, dot matches newline), then its UTF-8 bytes, and answer
one line per pattern, in order: "ok" or "error <message>".
"""

from __future__ import annotations

import json
import subprocess

from ..findings import Finding
from . import EngineFailed

TIMEOUT = 300


def prepare(runner, rendered) -> list[Finding]:
    """The patterns the runner compiles, in its order, into `rendered.inputs`
    (what the cache keys on); a configuration it cannot read is a finding."""
    from ..logparse import ParseError
    from ..logparse import Rendered as Config

    files = {dest: path for _, path, dest in rendered.files}
    shown = {dest: src for src, _, dest in rendered.files}
    first = rendered.files[0][0] if rendered.files else f"{rendered.ref}/manifest.yaml"
    try:
        inputs = runner.read(Config(files, shown))
    except ParseError as exc:
        return [Finding("NAT001", first, str(exc), bundle=rendered.ref)]
    if not inputs:
        message = "the configuration defines no log input"
        return [Finding("NAT001", first, message, bundle=rendered.ref)]
    rules = []
    for item in inputs:  # the order logparse/regex_runner.rb compiles them in
        rules += [(r.source, False, r.where) for r in item.starts]
        rules += [(r.source, bool(r.multiline), r.where) for r in item.patterns]
        rules += [(r.source, False, r.where) for r in item.path_patterns]
        # the regexes of the conversions after matching (fluentd's filters, logstash's gsub)
        rules += getattr(runner, "extra_patterns", lambda _: [])(item)
    rendered.inputs["patterns"] = json.dumps(rules)
    return []


def compile_all(argv: list[str], patterns: list[tuple[str, bool]]) -> list[str | None]:
    """Run one engine process on every pattern: None (compiles) or the error."""
    if not patterns:
        return []
    payload = bytearray()
    for source, multiline in patterns:
        data = source.encode("utf-8", "surrogateescape")
        payload += f"{'m' if multiline else '-'} {len(data)}\n".encode() + data
    done = subprocess.run(argv, input=bytes(payload), capture_output=True, timeout=TIMEOUT,
                          check=False)  # fmt: skip
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if done.returncode != 0 or len(lines) != len(patterns):
        tail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise EngineFailed(f"exit {done.returncode}, {len(lines)} answers: {tail}")
    return [None if line == "ok" else line.removeprefix("error ") for line in lines]


def check(batch, argv: list[str], label: str) -> list[Finding]:
    per_bundle = [(r, json.loads(r.inputs["patterns"])) for r in batch if "patterns" in r.inputs]
    unique = sorted({(s, m) for _, rules in per_bundle for s, m, _ in rules})
    verdicts = dict(zip(unique, compile_all(argv, unique), strict=True))
    found = []
    for rendered, rules in per_bundle:
        for source, multiline, where in rules:
            error = verdicts[(source, multiline)]
            if error is not None:
                shown = next(
                    (s for s, _, _ in rendered.files if where.startswith(f"{s} ")),
                    rendered.files[0][0],
                )
                message = f"{where}: {label} rejects the pattern: {error}"
                found.append(Finding("NAT001", shown, message, bundle=rendered.ref))
                break  # the runner stops at the first
    return found

"""What `opsbundle test` prints: a summary that fits 100 columns, or the same
results for machines (`--format json`, `--format junit`).

The JSON document (format "opsbundle-test/1") is read by other tools (the
static site's `--results FILE`); its fields only ever grow:

    {"format": "opsbundle-test/1",
     "passed": 1105, "failed": 0, "seconds": 24.1,
     "suites": [                        one per suite and implementation, sorted
       {"interface": "log-fields/v1", "bundle": "logging/fluentd",
        "passed": 36, "failed": 0, "seconds": 0.4,
        "results": [                    one per case
          {"interface": "log-fields/v1", "bundle": "logging/fluentd",
           "kind": "oslo-context-8", "case": "nova/nova-api.log#1",
           "ok": true, "detail": ""}]}]}
"""

from __future__ import annotations

import json
import os
import re
import textwrap

FORMAT = "opsbundle-test/1"
WIDTH = 100
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_TERMINAL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]")


def _durations_file():
    from ..cache import cache_dir

    return cache_dir() / "test-seconds.json"


def durations() -> dict[str, float]:
    """How long each job took the last time it ran here (an order for the
    next run, never a verdict); anything unreadable is no history."""
    try:
        data = json.loads(_durations_file().read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float) and v >= 0}


def remember(outcomes: list, earlier: dict[str, float]) -> None:
    from . import job_key

    data = {**earlier, **{job_key(o.job): round(o.seconds, 2) for o in outcomes}}
    path = _durations_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs the order of the next run


def _plain(text: str) -> str:
    """Text safe on a terminal: escape sequences and control characters shown,
    not obeyed (a result's detail may quote what a tool printed)."""
    return _TERMINAL.sub(lambda m: repr(m.group())[1:-1], text)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def progress_line(outcome, done: int, total: int) -> str:
    """One line per finished job, as the run goes."""
    job, failed = outcome.job, outcome.failed
    verdict = f"{len(outcome.results) - failed} passed" + (f", {failed} FAILED" if failed else "")
    line = f"[{done:>{len(str(total))}}/{total}] {outcome.seconds:6.1f} s  {job.interface:<18} "
    return _fit(f"{line}{job.bundle}: {verdict}", WIDTH)


def as_text(outcomes: list, seconds: float) -> str:
    rows = [(o.job.interface, o.job.bundle, o) for o in outcomes]
    iw = min(max([len("interface")] + [len(i) for i, _, _ in rows]), 24)
    bw = min(max([len("implementation")] + [len(b) for _, b, _ in rows]), WIDTH - iw - 34)
    lines = [f"{'interface':<{iw}}  {'implementation':<{bw}}  {'passed':>7}  {'failed':>6}  "
             f"{'seconds':>7}"]  # fmt: skip
    for interface, bundle, o in rows:
        failed = o.failed
        lines.append(
            f"{_fit(interface, iw):<{iw}}  {_fit(bundle, bw):<{bw}}  "
            f"{len(o.results) - failed:>7}  {failed:>6}{' !' if failed else '  '}"
            f"{o.seconds:>7.1f}"
        )
    for o in outcomes:
        for r in o.results:
            if r.ok:
                continue
            lines.append(_fit(_plain(f"FAIL {r.bundle} [{r.kind}] {r.case}"), WIDTH))
            detail = textwrap.wrap(_plain(r.detail), WIDTH - 6, max_lines=4, placeholder=" …")
            lines += [f"      {part}" for part in detail]
    total = sum(len(o.results) for o in outcomes)
    failed = sum(o.failed for o in outcomes)
    lines.append(
        f"{'FAIL' if failed else 'ok'}: {total - failed} passed, {failed} failed "
        f"({len(outcomes)} suite runs, {seconds:.1f} s)"
    )
    return "\n".join(lines)


def as_dict(outcomes: list, seconds: float) -> dict:
    suites = []
    for o in outcomes:
        suites.append(
            {
                "interface": o.job.interface,
                "bundle": o.job.bundle,
                "passed": len(o.results) - o.failed,
                "failed": o.failed,
                "seconds": round(o.seconds, 3),
                "results": [
                    {"interface": o.job.interface, "bundle": r.bundle, "kind": r.kind,
                     "case": r.case, "ok": r.ok, "detail": r.detail}
                    for r in o.results
                ],
            }
        )  # fmt: skip
    failed = sum(s["failed"] for s in suites)
    return {
        "format": FORMAT,
        "passed": sum(s["passed"] for s in suites),
        "failed": failed,
        "seconds": round(seconds, 3),
        "suites": suites,
    }


def as_json(outcomes: list, seconds: float) -> str:
    return json.dumps(as_dict(outcomes, seconds), indent=2)


def _xml(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(_NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def _attr(text: str) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(_NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def as_junit(outcomes: list, seconds: float) -> str:
    """A <testsuite> per suite and implementation, a <testcase> per case."""
    suites = []
    for o in outcomes:
        name = f"{o.job.interface} {o.job.bundle}"
        cases = []
        for r in o.results:
            body = (
                ""
                if r.ok
                else f"<failure message={_attr(r.detail[:200])}>{_xml(r.detail)}</failure>"
            )
            cases.append(
                f"    <testcase classname={_attr(f'{o.job.interface}.{r.bundle}.{r.kind}')} "
                f"name={_attr(r.case)}>{body}</testcase>"
            )
        suites.append(
            f'  <testsuite name={_attr(name)} tests="{len(o.results)}" '
            f'failures="{o.failed}" errors="0" time="{o.seconds:.3f}">\n'
            + "\n".join(cases)
            + "\n  </testsuite>"
        )
    total = sum(len(o.results) for o in outcomes)
    failed = sum(o.failed for o in outcomes)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="opsbundle test" tests="{total}" failures="{failed}" errors="0" '
        f'time="{seconds:.3f}">\n' + "\n".join(suites) + "\n</testsuites>"
    )

"""promtool unit tests of a prometheus service-checks/v1 implementation.

The bundle ships `tests/alerts.test.yml.j2`, rendered with the same values and
catalog as its rules. Each test group there either expects alerts (the check
fires) or expects none (it stays quiet); every alert of the rules needs at
least one of each. Annotations are stripped from the rules under test:
promtool compares them verbatim, and `promtool check rules` (the engine)
already checks their templates; the unit tests are about when alerts fire.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from .. import yamldata
from ..engines import which
from ..templating import TemplateProblem, compiled
from .result import Result

TESTS = "tests/alerts.test.yml.j2"
_UNIT = re.compile(r"^Unit Testing:\s+", re.MULTILINE)
FIRES, QUIET = "promtool: alert fires", "promtool: alert quiet"


def _rules(files) -> list[dict]:
    rules = []
    for dest, path in files:
        if dest.endswith((".rules.yml", ".rules.yaml")):
            doc = yamldata.loaded(path.read_text(encoding="utf-8")) or {}
            for group in doc.get("groups") or []:
                for rule in group.get("rules") or []:
                    rule.pop("annotations", None)
                rules.append(group)
    return rules


# promtool evaluates every loaded rule at every step up to the last eval_time:
# a group that waits out a day (resources in error) would take 1,450 steps of
# one minute. Groups longer than this many steps are evaluated every
# gcd(eval_times, `for` durations) instead, which lands on every moment the
# test and the rules name, so the verdicts are the same.
MAX_STEPS = 100
PROMTOOLS = 2  # promtool processes side by side
_DURATION = re.compile(r"^(\d+)(s|m|h)$")


def _seconds(text) -> int | None:
    m = _DURATION.match(str(text).strip())
    return int(m[1]) * {"s": 1, "m": 60, "h": 3600}[m[2]] if m else None


def _evaluation_interval(group: dict, rules: list[dict]) -> str:
    stamps = [_seconds(c.get("eval_time")) for c in group.get("alert_rule_test") or []]
    stamps += [_seconds(r.get("for", "0s")) for r in rules]
    if None in stamps or max(stamps, default=0) <= MAX_STEPS * 60:
        return "1m"
    step = math.gcd(*stamps)
    return f"{step}s" if step > 60 else "1m"


def _write(path, doc) -> None:
    path.write_text(yamldata.dumped(doc, sort_keys=False), encoding="utf-8")


def _verdicts(work, groups: list[tuple[dict, list[dict]]]) -> list[tuple[bool, str]]:
    """The verdict on each (test group, the bundle's rules) pair. Each
    distinct group is run once, in a test file of its own that loads only the
    rules of the checks it names (promtool evaluates every loaded rule at
    every step, so this keeps it fast): most groups of one variant are those
    of the other, word for word. The distinct files go to PROMTOOLS promtool
    processes side by side, balanced by what each costs to evaluate."""
    files: dict[str, Path] = {}
    costs: dict[str, int] = {}
    keys = []
    for group, rules in groups:
        ids = {c.get("alertname") for c in group.get("alert_rule_test") or []}
        mine = [r for r in rules if r["alert"] in ids]
        interval = _evaluation_interval(group, mine)
        key = json.dumps([mine, interval, group], sort_keys=True)
        keys.append(key)
        if key in files:
            continue
        i = len(files)
        rules_file, test = work / f"rules-{i}.yml", work / f"unit-{i}.test.yml"
        _write(rules_file, {"groups": [{"name": f"under-test-{i}", "rules": mine}]})
        _write(
            test,
            {"rule_files": [str(rules_file)], "evaluation_interval": interval, "tests": [group]},
        )
        files[key] = test
        costs[key] = _cost(group, interval)
    shares: list[list[str]] = [[] for _ in range(PROMTOOLS)]
    loads = [0] * PROMTOOLS
    for key in sorted(files, key=lambda k: -costs[k]):  # the dearest first, to the least loaded
        least = loads.index(min(loads))
        shares[least].append(str(files[key]))
        loads[least] += costs[key]
    chunks: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=PROMTOOLS) as pool:
        for said in pool.map(_promtool, shares):
            chunks.update(said)
    verdicts = []
    for key in keys:
        body = chunks.get(str(files[key]))
        if body is None:
            verdicts.append((False, "promtool did not report on this group"))
        else:
            verdicts.append(
                ("SUCCESS" in body and "FAILED" not in body, " ".join(body.split())[-400:])
            )
    return verdicts


def _cost(group: dict, interval: str) -> int:
    """About what promtool spends on a group: its evaluation steps times its
    input series (an estimate, for sharing the groups out; nothing else)."""
    stamps = [_seconds(c.get("eval_time")) or 0 for c in group.get("alert_rule_test") or []]
    steps = max(stamps, default=0) // (_seconds(interval) or 60) + 1
    return steps * (len(group.get("input_series") or []) + 1)


def _promtool(paths: list[str]) -> dict[str, str]:
    """{test file: what promtool said of it}, from one promtool process.
    promtool names each test file on stdout and writes its failures to
    stderr: one pipe for both keeps each failure under its own file."""
    if not paths:
        return {}
    done = subprocess.run(
        [which("promtool"), "test", "rules", *paths],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    chunks = {}
    for chunk in _UNIT.split(done.stdout)[1:]:
        name, _, body = chunk.partition("\n")
        chunks[name.strip()] = body
    return chunks


def run(ctx, bundle, files, work) -> list[Result]:
    """The unit tests of every coverage variant (network back end, release),
    so the checks of each back end and release are tested too."""
    from ..coverage import VARIANTS
    from ..inventory import InventoryError, render

    if which("promtool") is None:
        return [Result(bundle.ref, FIRES, "promtool", False, "promtool is not installed")]
    if not (bundle.path / TESTS).is_file():
        return [Result(bundle.ref, FIRES, TESTS, False, "the bundle has no promtool unit tests")]
    variants, results = [], []
    for i, variant in enumerate(VARIANTS):
        try:
            rendered = render(ctx, bundle, work / f"promtool-{i}" / "render", variant)
        except InventoryError as exc:
            results.append(Result(bundle.ref, FIRES, "render", False, str(exc)))
            continue
        tests = _tests(ctx, bundle, rendered, variant)
        if isinstance(tests, Result):
            results.append(tests)
        else:
            variants.append((variant, *tests))
    pairs = [(group, rules) for _, tests, rules in variants for group in tests]
    verdicts = iter(_verdicts(work, pairs))
    for variant, tests, rules in variants:
        mine = [next(verdicts) for _ in tests]
        results += _judged(bundle.ref, tests, rules, mine, ", ".join(variant.values()))
    return results


def _tests(ctx, bundle, files, variant) -> tuple[list[dict], list[dict]] | Result:
    """The bundle's test groups rendered for `variant`, and the rules they
    test (or the Result saying why they cannot be read)."""
    from ..interfaces import interface_data
    from ..inventory import values

    ref = bundle.ref
    source = bundle.path / TESTS
    rules = [r for g in _rules(files) for r in g["rules"]]
    context = {**values(ctx, bundle, variant), "interface": interface_data(ctx, bundle)}
    try:
        text = compiled(source.read_text(encoding="utf-8")).render(context)
        tests = (yamldata.loaded(text) or {}).get("tests") or []
    except (TemplateProblem, yaml.YAMLError) as exc:
        return Result(ref, FIRES, TESTS, False, f"cannot render: {exc}")
    return tests, rules


def _judged(ref, tests, rules, verdicts, named) -> list[Result]:
    by_alert = {r["alert"]: r["labels"]["check_id"] for r in rules}
    results = []
    covered: dict[tuple[str, str], bool] = {}
    for i, group in enumerate(tests):
        cases = group.get("alert_rule_test") or []
        kind = FIRES if any(c.get("exp_alerts") for c in cases) else QUIET
        ok, detail = verdicts[i]
        for case in cases:
            name = case.get("alertname", "?")
            cid = by_alert.get(name, "?")
            if name not in by_alert:
                ok, detail = False, f"test group {i} names alert {name}, which the rules lack"
            covered[(name, kind)] = covered.get((name, kind), True) and ok
            results.append(Result(ref, kind, f"{cid} {name} ({named}, group {i})", ok, detail))
    for name, cid in sorted(by_alert.items()):
        for kind in (FIRES, QUIET):
            if (name, kind) not in covered:
                results.append(Result(ref, kind, f"{cid} {name} ({named})", False, "no test group"))
    return results

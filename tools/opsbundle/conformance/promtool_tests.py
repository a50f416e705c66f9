"""promtool unit tests of a prometheus service-checks/v1 implementation.

The bundle ships `tests/alerts.test.yml.j2`, rendered with the same values and
catalog as its rules. Each test group there either expects alerts (the check
fires) or expects none (it stays quiet); every alert of the rules needs at
least one of each. Annotations are stripped from the rules under test:
promtool compares them verbatim, and `promtool check rules` (the engine)
already checks their templates; the unit tests are about when alerts fire.
"""

from __future__ import annotations

import math
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import yaml

from ..engines import which
from ..templating import Compiled, TemplateProblem
from .result import Result

TESTS = "tests/alerts.test.yml.j2"
_UNIT = re.compile(r"^Unit Testing:\s+", re.MULTILINE)
FIRES, QUIET = "promtool: alert fires", "promtool: alert quiet"


def _rules(files) -> list[dict]:
    rules = []
    for dest, path in files:
        if dest.endswith((".rules.yml", ".rules.yaml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _verdicts(work, groups, rules) -> list[tuple[bool, str]]:
    """Run every test group in one promtool process, each group in its own
    test file that loads only the rules of the checks it names (promtool
    evaluates every loaded rule at every step, so this keeps it fast)."""
    paths = []
    for i, group in enumerate(groups):
        ids = {c.get("alertname") for c in group.get("alert_rule_test") or []}
        mine = [r for r in rules if r["alert"] in ids]
        rules_file = work / f"rules-{i}.yml"
        _write(rules_file, {"groups": [{"name": f"under-test-{i}", "rules": mine}]})
        test = work / f"unit-{i}.test.yml"
        interval = _evaluation_interval(group, mine)
        _write(
            test,
            {"rule_files": [str(rules_file)], "evaluation_interval": interval, "tests": [group]},
        )
        paths.append(str(test))
    # promtool names each test file on stdout and writes its failures to
    # stderr: one pipe for both keeps each failure under its own file.
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
    verdicts = []
    for path in paths:
        body = chunks.get(path)
        if body is None:
            verdicts.append((False, "promtool did not report on this group"))
        else:
            verdicts.append(
                ("SUCCESS" in body and "FAILED" not in body, " ".join(body.split())[-400:])
            )
    return verdicts


def run(ctx, bundle, files, work) -> list[Result]:
    """The unit tests of every coverage variant (network back end, release),
    so the checks of each back end and release are tested too."""
    from ..coverage import VARIANTS
    from ..inventory import InventoryError, render

    if which("promtool") is None:
        return [Result(bundle.ref, FIRES, "promtool", False, "promtool is not installed")]
    if not (bundle.path / TESTS).is_file():
        return [Result(bundle.ref, FIRES, TESTS, False, "the bundle has no promtool unit tests")]

    def one(i, variant) -> list[Result]:
        out = work / f"promtool-{i}"
        try:
            rendered = render(ctx, bundle, out / "render", variant)
        except InventoryError as exc:
            return [Result(bundle.ref, FIRES, "render", False, str(exc))]
        out.mkdir(exist_ok=True)
        named = ", ".join(variant.values())
        return _run_variant(ctx, bundle, rendered, out, variant, named)

    # one promtool per variant, side by side (each is one process that steps
    # through every group of its file set)
    with ThreadPoolExecutor(max_workers=len(VARIANTS)) as pool:
        done = [pool.submit(one, i, v) for i, v in enumerate(VARIANTS)]
    return [r for future in done for r in future.result()]


def _run_variant(ctx, bundle, files, work, variant, named) -> list[Result]:
    from ..interfaces import interface_data
    from ..inventory import values

    ref = bundle.ref
    source = bundle.path / TESTS
    rules = [r for g in _rules(files) for r in g["rules"]]
    by_alert = {r["alert"]: r["labels"]["check_id"] for r in rules}
    context = {**values(ctx, bundle, variant), "interface": interface_data(ctx, bundle)}
    try:
        text = Compiled(source.read_text(encoding="utf-8"), f"{ref}/{TESTS}").render(context)
        tests = (yaml.safe_load(text) or {}).get("tests") or []
    except (TemplateProblem, yaml.YAMLError) as exc:
        return [Result(ref, FIRES, TESTS, False, f"cannot render: {exc}")]
    verdicts = _verdicts(work, tests, rules)
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

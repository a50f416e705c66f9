"""promtool unit tests of a prometheus service-checks/v1 implementation.

The bundle ships `tests/alerts.test.yml.j2`, rendered with the same values and
catalog as its rules. Each test group there either expects alerts (the check
fires) or expects none (it stays quiet); every alert of the rules needs at
least one of each. Annotations are stripped from the rules under test:
promtool compares them verbatim, and `promtool check rules` (the engine)
already checks their templates; the unit tests are about when alerts fire.
"""

from __future__ import annotations

import subprocess

import yaml

from ..engines import which
from ..templating import Compiled, TemplateProblem
from . import Result

TESTS = "tests/alerts.test.yml.j2"
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


def _promtool(work, groups, rules_file) -> subprocess.CompletedProcess:
    test = work / "unit.test.yml"
    doc = {"rule_files": [str(rules_file)], "evaluation_interval": "1m", "tests": groups}
    test.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return subprocess.run(
        [which("promtool"), "test", "rules", str(test)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run(ctx, bundle, files, work) -> list[Result]:
    from ..checks.templates import interface_data
    from ..inventory import values

    ref = bundle.ref
    if which("promtool") is None:
        return [Result(ref, FIRES, "promtool", False, "promtool is not installed")]
    source = bundle.path / TESTS
    if not source.is_file():
        return [Result(ref, FIRES, TESTS, False, "the bundle has no promtool unit tests")]
    groups = _rules(files)
    by_alert = {r["alert"]: r["labels"]["check_id"] for g in groups for r in g["rules"]}
    rules_file = work / "rules-under-test.yml"
    rules_file.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False), encoding="utf-8")
    context = {**values(ctx, bundle), "interface": interface_data(ctx, bundle)}
    try:
        text = Compiled(source.read_text(encoding="utf-8"), f"{ref}/{TESTS}").render(context)
        tests = (yaml.safe_load(text) or {}).get("tests") or []
    except (TemplateProblem, yaml.YAMLError) as exc:
        return [Result(ref, FIRES, TESTS, False, f"cannot render: {exc}")]
    all_pass = _promtool(work, tests, rules_file).returncode == 0
    results = []
    covered: dict[tuple[str, str], bool] = {}
    for i, group in enumerate(tests):
        cases = group.get("alert_rule_test") or []
        kind = FIRES if any(c.get("exp_alerts") for c in cases) else QUIET
        ok, detail = True, ""
        if not all_pass:
            done = _promtool(work, [group], rules_file)
            ok = done.returncode == 0
            detail = " ".join((done.stdout + done.stderr).split())[-400:]
        for case in cases:
            name = case.get("alertname", "?")
            cid = by_alert.get(name, "?")
            if name not in by_alert:
                ok, detail = False, f"test group {i} names alert {name}, which the rules lack"
            covered[(name, kind)] = covered.get((name, kind), True) and ok
            results.append(Result(ref, kind, f"{cid} {name} (group {i})", ok, detail))
    for name, cid in sorted(by_alert.items()):
        for kind in (FIRES, QUIET):
            if (name, kind) not in covered:
                results.append(Result(ref, kind, f"{cid} {name}", False, "no test group"))
    return results

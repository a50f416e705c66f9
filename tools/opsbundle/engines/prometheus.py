"""promtool and amtool: Prometheus's and Alertmanager's own config checkers.

Every rendered rule file (`*.rules.yml`) of the run goes to one `promtool
check rules` call; every Alertmanager configuration to one `amtool
check-config` call. promtool
names the file, line and rule of a bad expression; amtool gives no line for
semantic errors, so its findings point at the template's first line.
"""

from __future__ import annotations

import re
import subprocess

from ..findings import Finding

TOOL = "prometheus"
BINARY = "promtool"
BINARIES = ("promtool", "amtool")
PACKAGE = "prometheus, prometheus-alertmanager (see tools/setup.sh)"
_AMTOOL = re.compile(r"FAILED: (.+)")
_CHECKING = re.compile(r"^Checking '(?P<file>[^']+)'")
_PROMTOOL = re.compile(r"^(?P<file>/\S+?): ?(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def rule_files(rendered) -> list:
    return [f for f in rendered.files if f[2].endswith((".rules.yml", ".rules.yaml"))]


def check(batch, workdir) -> list:
    from . import which

    found = []
    rules = {
        str(path): (rendered.ref, shown, dest)
        for rendered in batch
        for shown, path, dest in rule_files(rendered)
    }
    if rules:
        done = _run([which("promtool"), "check", "rules", *rules])
        if done.returncode != 0:
            found += _promtool_findings(done.stdout + done.stderr, rules)
    configs = {
        str(path): (rendered.ref, shown, dest)
        for rendered in batch
        for shown, path, dest in rendered.files
        if dest.endswith("alertmanager.yml")
    }
    if configs:
        done = _run([which("amtool"), "check-config", *configs])
        if done.returncode != 0:
            found += _amtool_findings(done.stdout + done.stderr, configs)
    return found


def _amtool_findings(output: str, configs: dict) -> list:
    """amtool prints a "Checking '<file>'" section per file, with FAILED and the
    reasons in it; a failure it does not tie to a file fails every file."""
    sections: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        m = _CHECKING.match(line)
        if m and m["file"] in configs:
            current = m["file"]
        if current is not None:
            sections[current] = sections.get(current, "") + line + "\n"
    found = []
    for path, (ref, shown, dest) in configs.items():
        text = sections.get(path, "") if sections else output
        if sections and "FAILED" not in text:
            continue
        text = text.replace(path, dest)
        reasons = [m.strip() for m in _AMTOOL.findall(text)]
        detail = "; ".join(reasons) or " ".join(text.split())[-300:]
        found.append(
            Finding("NAT001", shown, f"amtool check-config: rendered {dest}: {detail}", bundle=ref)
        )
    return found


def _promtool_findings(output: str, rules: dict) -> list:
    found = []
    for line in output.splitlines():
        m = _PROMTOOL.match(line.strip())
        if not m or m["file"] not in rules:
            continue
        ref, shown, dest = rules[m["file"]]
        found.append(
            Finding(
                "NAT001",
                shown,
                f"promtool check rules: rendered {dest}, line {m['line']}: {m['msg']}",
                bundle=ref,
            )
        )
    if not found:  # promtool failed without a line we understand: say so anyway
        ref, shown, dest = next(iter(rules.values()))
        tail = " ".join(output.split())[-300:]
        found.append(Finding("NAT001", shown, f"promtool check rules failed: {tail}", bundle=ref))
    return found

"""The engines' own one-process helpers answer as the programs they stand in
for: JoniCheck as JRuby's Regexp, debian_check.pl as dpkg-parsechangelog and
dh_listpackages, rpmspec_check.py as rpmspec -P. Each is run against the real
program on good and broken input; the real program is the oracle."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from opsbundle.engines import logstash, patterns, rpm, which
from opsbundle.logparse import logstash as grok_runner

from ..conftest import REAL_ROOT

RB = Path(logstash.__file__).with_name("regexp_check.rb")
BAD = [
    "(?<level>[a-z]+",  # unclosed group
    "*leading",  # nothing to repeat
    "a{2,1}",  # a range backwards
    "(?<n>a)(?<n>b)\\k<n>",  # a backreference to a name used twice: allowed in Ruby
    "[z-a]",  # an empty range
    "(?<1bad>x)",  # a group name may not start with a digit
    "\\",  # a lone backslash
    "(?<=a+)b",  # unbounded look-behind
    "\\p{NoSuchProperty}",
    "x++y?+",  # possessive quantifiers
    "(?i:caseless)(?m:.)",
]


def test_joni_check_answers_as_jruby(tmp_path):
    from opsbundle import engines
    from opsbundle.checks import Context

    ctx = Context.for_repo(REAL_ROOT)
    items, problems = engines.render_samples(ctx, [ctx.bundle("logging/logstash")], tmp_path)
    assert not problems
    assert patterns.prepare(grok_runner, items[0]) == []
    shipped = [(s, m) for s, m, _ in json.loads(items[0].inputs["patterns"])]
    corpus = sorted(set(shipped)) + [(p, m) for p in BAD for m in (False, True)]
    ours = patterns.compile_all(logstash.command(), corpus)
    jruby = patterns.compile_all([which("jruby"), str(RB)], corpus)
    assert [o is None for o in ours] == [j is None for j in jruby]
    assert sum(o is not None for o in ours) >= 8  # the corpus does break Joni
    # the words may differ where JRuby checks escapes before Joni sees the pattern
    # ("too short escape sequence" for a lone backslash); mostly they are Joni's own
    same = sum(t.startswith(o) for o, t in zip(ours, jruby, strict=True) if o is not None)
    assert same >= sum(o is not None for o in ours) - 2


def _tree(root: Path, changelog: str, control: str) -> Path:
    (root / "debian").mkdir(parents=True)
    (root / "debian/changelog").write_text(changelog)
    (root / "debian/control").write_text(control)
    return root


CHANGELOG = """openstack-demo (1.0.0~rc1-1) unstable; urgency=medium

  * Built by the test.

 -- Test <test@example.org>  Mon, 01 Jan 2024 00:00:00 +0000
"""
CONTROL = """Source: openstack-demo
Section: python
Priority: optional
Maintainer: Test <test@example.org>
Build-Depends: debhelper-compat (= 13)
Standards-Version: 4.6.2

Package: openstack-demo
Architecture: all
Description: a demo
 for the test
"""


def test_debian_check_answers_as_dpkg_parsechangelog_and_dh_listpackages(tmp_path):
    trees = [
        _tree(tmp_path / "good", CHANGELOG, CONTROL),
        _tree(tmp_path / "no-package", CHANGELOG, CONTROL.replace("Package: openstack", "Pkg: o")),
        _tree(tmp_path / "bad-changelog", "not a changelog\n", CONTROL),
        _tree(tmp_path / "no-compat", CHANGELOG, CONTROL.replace("debhelper-compat (= 13)", "x")),
        _tree(tmp_path / "two", CHANGELOG, CONTROL + "\n" + CONTROL.split("\n\n")[1]),
    ]
    script = Path(logstash.__file__).with_name("debian_check.pl")
    done = subprocess.run(
        ["perl", str(script), *map(str, trees)], capture_output=True, text=True, check=True
    )
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(trees)
    for tree, answer in zip(trees, answers, strict=True):
        for key, argv in (
            ("changelog", ["dpkg-parsechangelog", "-S", "Version"]),
            ("listpackages", ["dh_listpackages"]),
        ):
            real = subprocess.run(argv, cwd=tree, capture_output=True, text=True, check=False)
            ours = answer[key]
            assert (ours["exit"] == 0) == (real.returncode == 0), (tree.name, key, ours, real)
            assert ours["out"] == real.stdout, (tree.name, key)
            assert ours["err"].strip() == real.stderr.strip(), (tree.name, key)
    assert answers[0]["changelog"]["out"] == "1.0.0~rc1-1\n"
    assert answers[1]["listpackages"]["exit"] != 0 and answers[2]["changelog"]["exit"] != 0


SPEC = """Name: demo
Version: 1.0
Release: 1
Summary: demo
License: MIT
%description
demo
"""


def test_rpmspec_check_answers_as_rpmspec(tmp_path):
    specs = {
        "good": SPEC,
        "unknown-tag": SPEC.replace("License: MIT", "License: MIT\nBogus: x"),
        "macro-error": SPEC + "%prep\n%{error:broken on purpose}\n",
        "if-unclosed": SPEC + "%if 1\n%prep\n",
        "global-leaks": "%global only_here 1\n" + SPEC,
        "sees-no-leak": SPEC.replace("demo\n", "%{!?only_here:clean}%{?only_here:%{error:leak}}\n"),
    }
    paths = []
    for name, text in specs.items():
        path = tmp_path / f"{name}.spec"
        path.write_text(text)
        paths.append(path)
    done = subprocess.run([str(rpm.PYTHON), "-I", str(rpm.SCRIPT), *map(str, paths)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    for path, answer in zip(paths, answers, strict=True):
        real = subprocess.run(["rpmspec", "-P", str(path)], capture_output=True, text=True,
                              check=False)  # fmt: skip
        assert answer["ok"] == (real.returncode == 0), (path.name, answer, real.stderr)
        if not answer["ok"]:
            assert answer["log"].strip() == real.stderr.strip(), path.name
    assert [a["ok"] for a in answers] == [True, False, False, False, True, True]

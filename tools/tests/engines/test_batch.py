"""Each engine starts once for every bundle of its tool, keeps the bundles'
names apart, and still blames only the bundle at fault, with the very
message the bundle gets when checked by itself."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from opsbundle.validate import Options, run

from ..conftest import REAL_ROOT, make_repo


def _copies(tmp_path: Path, ref: str, n: int) -> tuple[Path, list[str]]:
    """A repository with `n` copies of `ref`, each its own name and a comment of
    its own in every template (so no two render the same files)."""
    root = make_repo(tmp_path)
    refs = []
    for i in range(n):
        top, name = ref.split("/")
        target = root / top / f"{name}-c{i}"
        shutil.copytree(REAL_ROOT / ref, target, ignore=shutil.ignore_patterns("tests"))
        manifest = target / "manifest.yaml"
        manifest.write_text(re.sub(r"(?m)^name: .*$", f"name: {name}-c{i}", manifest.read_text(),
                                   count=1))  # fmt: skip
        for path in target.rglob("*.j2"):
            if path.name not in ("changelog.j2", "source-format.j2"):
                path.write_text(path.read_text() + f"# copy {i}\n")
        refs.append(f"{top}/{name}-c{i}")
    return root, refs


@pytest.fixture()
def started(monkeypatch):
    """Every program the engines run, counted by name (one run in confine's
    box counts as bwrap and as the program it boxes)."""
    counts: Counter = Counter()
    real = subprocess.run

    def counting(argv, *args, **kwargs):
        name = Path(str(argv[0])).name
        counts[name] += 1
        if name == "bwrap":
            counts[Path(argv[argv.index("--") + 1]).name] += 1
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    return counts


def _nat(root: Path, names: list[str]) -> list:
    report = run(root, Options(names=names, cache=False, require_native=True))
    assert not [f for f in report.errors if f.code != "NAT001"], report.errors
    return [f for f in report.findings if f.code == "NAT001"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


# (bundle, its program, a template, a line to break in it, what the program says)
CASES = [
    ("logging/rsyslog", "rsyslogd", "files/forward.conf.j2", ('protocol="tcp"', 'protocol="tcpx"'),
     'invalid protocol "tcpx"'),
    ("monitoring/icinga2", "icinga2", "files/opsbundles-openstack.conf.j2",
     ('check_command = "opsbundles-http"\n', 'check_command = "opsbundles-htp"\n'),
     "Object 'opsbundles-htp' of type 'CheckCommand' does not exist"),
    ("monitoring/nagios", "nagios4", "files/opsbundles-openstack.cfg.j2",
     ("check_command           opsbundles-host-alive", "check_command           no-such-command"),
     "no-such-command"),
]  # fmt: skip


@pytest.mark.parametrize("ref,program,template,edit,message", CASES, ids=[c[0] for c in CASES])
def test_one_run_for_many_bundles_and_only_the_broken_one_blamed(
    tmp_path, started, ref, program, template, edit, message
):
    root, refs = _copies(tmp_path, ref, 4)
    assert _nat(root, refs) == []
    assert started[program] == 1, started  # four bundles, one start
    _edit(root / refs[2] / template, *edit)
    alone = _nat(root, [refs[2]])  # the broken bundle by itself
    assert alone and all(message in f.message for f in alone[:1]), alone
    started.clear()
    together = _nat(root, refs)
    assert {f.bundle for f in together} == {refs[2]}
    assert sorted(f.as_text() for f in together) == sorted(f.as_text() for f in alone)
    assert started[program] <= 1 + 2 * 2  # the joint run, then halves down to the bundle


def test_units_of_one_name_from_many_bundles_in_one_systemd_analyze(tmp_path, started):
    root, refs = _copies(tmp_path, "packaging/rpm", 3)
    assert _nat(root, refs) == []
    assert started["systemd-analyze"] == 1 and started["logrotate"] == 1, started
    unit = root / refs[1] / "build/systemd.service.j2"
    _edit(unit, "Type=simple", "Type=sometimes")
    found = _nat(root, refs)
    units = [f for f in found if "systemd-analyze" in f.message]
    assert units and {f.bundle for f in units} == {refs[1]}
    # the prefix that kept the bundles' units apart never shows
    assert all("ob" not in f.message.split("(")[1].split(")")[0] for f in units)
    assert any("Failed to parse service type, ignoring: sometimes" in f.message for f in units)


def test_logrotate_keeps_copies_apart_but_not_a_file_from_itself(tmp_path):
    root, refs = _copies(tmp_path, "packaging/rpm", 2)
    rotate = root / refs[0] / "build/logrotate.j2"
    text = rotate.read_text()
    block = text[text.index("{{ project.log_dir }}/*.log {") :].split("}\n", 1)[0] + "}\n"
    rotate.write_text(text + block.replace("weekly", "daily"))  # the same logs twice in one file
    found = [f.message for f in _nat(root, refs) if "logrotate" in f.message]
    assert found and any("duplicate log entry for /var/log/" in m for m in found), found
    assert not any("/opsbundle-rotate-" in m for m in found)
    assert {f.bundle for f in _nat(root, refs) if "logrotate" in f.message} == {refs[0]}


def test_specs_debian_folders_and_patterns_in_one_process_each(tmp_path, started):
    root, rpms = _copies(tmp_path, "packaging/rpm", 2)
    root2, debs = _copies(tmp_path / "deb", "packaging/deb", 2)
    assert _nat(root, rpms) == [] and _nat(root2, debs) == []
    assert started["python3"] == 1 and started["perl"] == 1, started
    assert "rpmspec" not in started and "dpkg-parsechangelog" not in started


def test_a_warm_run_starts_nothing_and_a_change_only_its_engine(tmp_path, started):
    root = make_repo(tmp_path)
    for ref in ("logging/rsyslog", "monitoring/nagios", "packaging/deb"):
        shutil.copytree(REAL_ROOT / ref, root / ref)

    def again() -> list:
        report = run(root, Options(cache=True, require_native=True))
        assert report.errors == [] and not [n for n in report.notes if "result cache" in n]
        return report.notes

    again()
    assert started["rsyslogd"] == started["nagios4"] == started["perl"] == 1
    started.clear()
    notes = again()
    assert not started, started  # warm: every answer from the cache
    assert "engines: 3 bundle(s) unchanged since they were checked (from the cache)" in notes
    (root / "packaging/deb/README.md").write_text("edited, renders the same files\n")
    again()
    assert not started, started  # the engine's inputs did not change
    template = root / "logging/rsyslog/files/forward.conf.j2"
    template.write_text(template.read_text() + "# a new comment\n")
    notes = again()
    assert set(started) == {"rsyslogd"} and started["rsyslogd"] == 1, started
    assert "rsyslogd checked 1 bundle(s)" in notes

"""The deb engine: Debian's own parsers on each rendered debian/ folder, each
shown to catch a real mistake."""

from __future__ import annotations

import re
from pathlib import Path

from opsbundle.validate import Options, run

from ..checks.test_pkgbuild import edit


def findings(root):
    report = run(root, Options(names=["packaging/deb"], cache=False, require_native=True))
    return "\n".join(f.as_text() for f in report.findings)


def test_clean_bundle_passes_every_native_check(repo_copy):
    assert findings(repo_copy) == ""


def test_control_without_a_package_field(repo_copy):
    edit(repo_copy / "packaging/deb/build/control.j2", "Package: ", "Pakage: ")
    assert 'missing mandatory "Package"-field (openstack-nova)' in findings(repo_copy)


def test_changelog_with_the_wrong_version_spelling(repo_copy):
    edit(
        repo_copy / "packaging/deb/build/changelog.j2",
        "({{ build.version }}-",
        "({{ build.pbr_version }}-",
    )
    found = findings(repo_copy)
    assert "packaging/deb/build/changelog.j2:1:1: NAT001 dpkg-parsechangelog" in found
    assert "expected version 1.0.0~rc1~dev2-1" in found


def test_rules_that_make_cannot_read(repo_copy):
    edit(repo_copy / "packaging/deb/build/rules.j2", "%:\n", "%:::\n")
    assert "make -n -f debian/rules: debian/rules:" in findings(repo_copy)


def test_postinst_that_sh_cannot_parse(repo_copy):
    edit(repo_copy / "packaging/deb/build/postinst.j2", "fi\n", "fi fi\n")
    found = findings(repo_copy)
    assert re.search(
        r'sh -n: postinst: \d+: Syntax error: "fi" unexpected \(openstack-glance\)', found
    )


def test_units_of_deb_packages_are_verified_too(repo_copy):
    edit(
        repo_copy / "packaging/deb/build/systemd.service.j2",
        "Restart=on-failure",
        "Restart=sometimes",
    )
    assert "systemd-analyze verify (nova-api.service of openstack-nova)" in findings(repo_copy)


# maintainer scripts as Debian's packages write them, and ways to break one
SCRIPTS = {
    "ok": '#!/bin/sh\nset -e\nif [ "$1" = configure ]; then\n    adduser --system nova\nfi\n',
    "quotes": "#!/bin/sh\necho 'it'\\''s' \"a 'b'\" '\\n'\n"
    'case "$1" in\n  purge) rm -rf /x ;;\nesac\n',
    "heredoc": "#!/bin/sh\ncat <<'EOF'\n$(never) ' \" )\nEOF\nexit 0\n",
    "unclosed if": "#!/bin/sh\nif true; then\n    echo\n",
    "stray fi": "#!/bin/sh\necho a\nfi\n",
    "closes early": "#!/bin/sh\necho a\n}\nf() {\n    echo b\n",
    "no newline at the end": "#!/bin/sh\necho a",
    "unclosed quote": "#!/bin/sh\necho 'a\n",
}


def _sh_n(path):
    import subprocess

    done = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True, check=False)
    return done.stderr.strip().replace(str(path), "postinst") if done.returncode else ""


def test_one_sh_parses_every_script_as_sh_n_does(tmp_path, monkeypatch):
    """The verdict and message of each script are those of `sh -n FILE`, the
    real program run on each; one sh reads them all, and one more `sh -n`
    runs per script it refuses (for the message's line)."""
    from opsbundle.engines import deb

    started = []
    real = deb._run

    def spy(cmd, cwd):
        started.append(cmd)
        return real(cmd, cwd)

    monkeypatch.setattr(deb, "_run", spy)
    scripts = {}
    for n, text in enumerate(SCRIPTS.values()):
        path = tmp_path / f"{n}" / "postinst"
        path.parent.mkdir()
        path.write_text(text)
        scripts[text] = path
    said = deb._parse_scripts(scripts, tmp_path)
    expected = {text: _sh_n(path) for text, path in scripts.items()}
    assert said == expected
    assert sum(1 for v in expected.values() if v) == 4
    assert len(started) == 1 + 4, started


def test_parsing_the_scripts_runs_nothing_they_hold(tmp_path):
    from opsbundle.engines import deb

    marker = tmp_path / "ran"
    text = f"#!/bin/sh\ntouch {marker}\necho $(touch {marker}) `touch {marker}`\nexit 1\n"
    path = tmp_path / "postinst"
    path.write_text(text)
    assert deb._parse_scripts({text: path}, tmp_path) == {text: ""}
    assert not marker.exists()


def test_a_script_holding_a_nul_byte_is_read_by_sh_n_alone(tmp_path):
    from opsbundle.engines import deb

    text = "#!/bin/sh\necho a\0b\nif\n"
    path = tmp_path / "postinst"
    path.write_text(text)
    assert deb._parse_scripts({text: path}, tmp_path) == {text: _sh_n(path)}


def test_make_runs_what_a_rules_file_holds_only_inside_the_box(repo_copy, tmp_path):
    """make -n expands $(shell ...) and $(file >...) and runs `+` recipe lines:
    the real make does all three unconfined, and none reaches the host from
    validate (the markers sit under /tmp, which the box has as its own)."""
    import subprocess
    import uuid

    markers = [Path(f"/tmp/opsbundle-made-by-{how}-{uuid.uuid4().hex}") for how in "sfp"]
    lines = f"X := $(shell touch {markers[0]})\n$(file >{markers[1]},x)\n"
    recipe = f"%:\n\t+touch {markers[2]}\n"
    alone = tmp_path / "alone" / "debian"
    alone.mkdir(parents=True)
    (alone / "rules").write_text(lines + recipe + "\tdh $@\n")
    make = ["make", "-n", "-f", "debian/rules", "binary"]
    subprocess.run(make, cwd=alone.parent, capture_output=True, check=True)
    try:
        assert [m.exists() for m in markers] == [True] * 3
    finally:
        for m in markers:
            m.unlink(missing_ok=True)
    edit(repo_copy / "packaging/deb/build/rules.j2", "%:\n", lines + recipe)
    assert findings(repo_copy) == ""
    assert [m.exists() for m in markers] == [False] * 3

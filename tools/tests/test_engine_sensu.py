"""The sensu-go schema is emulated, so it must prove itself strict: every bad
fixture in fixtures/sensu/ fails with the problem its first line names."""

from pathlib import Path

import pytest
from opsbundle.engines import sensu
from opsbundle.validate import Options, run
from servicechecks_repo import copy_repo, edit

FIXTURES = Path(__file__).parent / "fixtures" / "sensu"
BAD = sorted(FIXTURES.glob("bad_*.yaml"))


def test_good_fixture_passes():
    assert sensu.problems((FIXTURES / "good.yaml").read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_fixture_fails_for_its_reason(path):
    text = path.read_text(encoding="utf-8")
    expect = text.splitlines()[0].removeprefix("# expect: ")
    found = sensu.problems(text)
    assert found, f"{path.name} passed the schema"
    assert any(expect in p for p in found), found


def test_there_are_bad_fixtures():
    assert len(BAD) >= 8


def test_rendered_bundle_passes_and_a_broken_one_fails(tmp_path):
    root = copy_repo(tmp_path, "monitoring/sensu")
    report = run(root, Options(names=["monitoring/sensu"], cache=False, require_native=True))
    assert [f for f in report.findings if f.code.startswith("NAT")] == []
    edit(
        root / "monitoring/sensu/files/opsbundles-openstack.yaml.j2",
        "  round_robin: true",
        "  round_robin: yes-please",
    )
    report = run(root, Options(names=["monitoring/sensu"], cache=False, require_native=True))
    found = [f for f in report.findings if f.code == "NAT003"]
    assert found and all("round_robin" in f.message for f in found)

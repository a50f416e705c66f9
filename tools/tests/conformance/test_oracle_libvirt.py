"""The libvirt oracle reads the journal twin, and refuses a twin that is not
the same records as the file: a wrong pairing must stop the suite, not pass
events that no file line holds."""

import json
from pathlib import Path

import pytest
from opsbundle.conformance.oracle import expected, libvirt_events

REPO = Path(__file__).resolve().parents[3]
LOG = next(
    (REPO / "interfaces/log-fields/v1/conformance/corpus").glob(
        "libvirt-*/libvirt/libvirt/libvirtd.log"
    )
)


def _twins() -> list[dict]:
    return [json.loads(line) for line in LOG.with_name("libvirtd.twin.jsonl").open()]


def test_the_events_come_from_the_journal_and_the_files_prefix():
    events = expected(LOG)
    twins = _twins()
    assert [e["message"] for e in events] == [t["MESSAGE"] for t in twins]
    # libvirt's own head lines are printed without function:line
    assert all("function" not in e for e, t in zip(events, twins, strict=True)
               if t["CODE_FUNC"] == "virLogVMessage")  # fmt: skip
    assert any(e.get("function") for e in events)
    assert all(e["timestamp"].endswith("Z") for e in events)


def test_a_twin_that_is_not_the_files_records_is_refused():
    text, twins = LOG.read_text(), _twins()
    with pytest.raises(ValueError, match="records in the file"):
        libvirt_events(text, twins[:-1], "libvirt", "libvirtd")
    swapped = [twins[1], twins[0], *twins[2:]]
    with pytest.raises(ValueError, match="differ"):
        libvirt_events(text, [{**t, "MESSAGE": t["MESSAGE"] + "x"} for t in swapped], "libvirt",
                       "libvirtd")  # fmt: skip

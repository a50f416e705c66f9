from pathlib import Path

import pytest
from opsbundle.logparse import normalise

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def contract():
    return normalise.contract(REPO)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2026-11-27 01:43:12.137", "2026-11-27T01:43:12.137"),  # oslo.log: local, no offset
        ("2026-11-27 03:03:12.512339+00:00", "2026-11-27T03:03:12.512Z"),  # RabbitMQ
        ("2026-11-27T05:03:12.999999+02:00", "2026-11-27T03:03:12.999Z"),  # RFC 3339 syslog
        ("27/Nov/2026:04:03:13 +0100", "2026-11-27T03:03:13.000Z"),  # Apache %t
        ("2026-11-27  3:03:12", "2026-11-27T03:03:12.000"),  # MariaDB pads the hour with a space
    ],
)
def test_timestamp_formats(text, want):
    assert normalise.timestamp(text) == want


def test_unknown_timestamp_is_an_error():
    with pytest.raises(ValueError, match="unknown timestamp format"):
        normalise.timestamp("Nov 27 03:03:12")


def test_placeholders_are_absent_and_types_converted(contract):
    event = normalise.event(
        contract,
        {
            "pid": "4242",
            "user_id": "-",
            "domain_id": "None",
            "system_scope": "",
            "http_status": "200",
            "http_bytes": "-",
            "http_duration_us": "98231",
            "level": "warn",
            "global_request_id": None,
        },
        "raw",
        {"service": "nova", "program": "nova-api"},
    )
    assert event == {
        "pid": 4242,
        "level": "WARNING",
        "service": "nova",
        "program": "nova-api",
        "http_status": 200,
        "http_duration_s": 0.098231,
    }


def test_levels_of_every_program(contract):
    got = [
        normalise.event(contract, {"level": w}, "", {})["level"]
        for w in ("Note", "notice", "ERROR", "err", "crit", "debug", "INFO")
    ]
    assert got == ["INFO", "INFO", "ERROR", "ERROR", "CRITICAL", "DEBUG", "INFO"]


def test_traceback_loses_the_oslo_prefix_and_the_empty_last_line(contract):
    text = (
        "2026-11-27 01:43:12.137 4242 ERROR nova.compute.manager [instance: abc] Traceback (x):\n"
        '2026-11-27 01:43:12.137 4242 ERROR nova.compute.manager   File "a.py", line 1\n'
        "2026-11-27 01:43:12.137 4242 ERROR nova.compute.manager [instance: abc] "
    )
    event = normalise.event(contract, {"traceback": text}, "", {})
    assert event["traceback"] == 'Traceback (x):\n  File "a.py", line 1'


def test_a_capture_outside_the_contract_is_an_error(contract):
    with pytest.raises(ValueError, match="haproxy_monthday"):
        normalise.event(contract, {"haproxy_monthday": "27"}, "", {})


def test_unmatched_record_keeps_its_text(contract):
    event = normalise.event(contract, None, "odd line", {"service": "nova"})
    assert event == {"message": "odd line", "service": "nova", "unparsed": True}


def test_record_captures_override_the_path_ones(contract):
    base = {"service": "swift", "program": "proxy"}
    event = normalise.event(contract, {"program": "proxy-server", "pid": None}, "", base)
    assert event == {"service": "swift", "program": "proxy-server"}

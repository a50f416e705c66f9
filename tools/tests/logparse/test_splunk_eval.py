"""The EVAL interpreter runs what Splunk would, and refuses what it cannot run."""

import pytest
from opsbundle.logparse.splunk_eval import (
    EvalError,
    compile_eval,
    event_time,
    run_evals,
    time_parser,
)


def _run(text: str, **fields):
    return run_evals({"out": compile_eval(text)}, fields).get("out")


def test_arithmetic_null_and_types():
    assert _run("coalesce(_ms / 1000, tonumber(x))", _ms="119") == 0.119
    assert _run("coalesce(_ms / 1000, tonumber(x))", x="0.004") == 0.004
    assert _run("tonumber(pid)", pid="4242") == 4242
    assert _run("tonumber(pid)") is None
    assert _run("if(isnull(_ts), true(), null())") is True
    assert _run("if(isnull(_ts), true(), null())", _ts="x") is None


def test_case_lower_and_replace():
    level = 'case(lower(l)=="note" OR lower(l)=="notice", "INFO", true(), upper(l))'
    assert _run(level, l="Note") == "INFO"
    assert _run(level, l="warning") == "WARNING"
    assert _run(r'replace(t, "(?m)^P ", "")', t="P a\nP b") == "a\nb"
    assert _run(r'replace(t, "(\w+)@(\w+)", "\2@\1")', t="a@b") == "b@a"


def test_a_null_result_removes_the_field():
    assert "level" not in run_evals({"level": compile_eval("null()")}, {"level": "x"})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("system(x)", "function system() is not one the bundle may use"),
        ("lower(x", "unexpected 'end'"),
        ("a b", "unexpected 'b'"),
        ('"unterminated', "unexpected"),
    ],
)
def test_what_it_cannot_run_is_refused(text, reason):
    with pytest.raises(EvalError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        compile_eval(text)


def test_time_formats_of_the_bundle():
    apache = time_parser("%d/%b/%Y:%H:%M:%S %z")
    assert event_time("[27/Nov/2026:04:03:12 +0100] x", None, apache, 40) is None
    import re

    got = event_time("1.2.3.4 [27/Nov/2026:04:03:12 +0100]", re.compile(r"\["), apache, 26)
    assert _run('strftime(t, "%Y-%m-%dT%H:%M:%S.%3NZ")', t=got) == "2026-11-27T03:03:12.000Z"
    maria = time_parser("%Y-%m-%d %k:%M:%S")
    got = event_time("2026-11-27  3:03:12 0 [Note]", None, maria, 20)
    assert _run('strftime(t, "%Y-%m-%dT%H:%M:%S.%3N")', t=got) == "2026-11-27T03:03:12.000"
    with pytest.raises(EvalError, match="%Q"):
        time_parser("%Q")

"""templating.py: the bounded sandbox. A template is reviewed, but still code:
`{{ 'a' * 10**10 }}` is a finding, not a hang or an out-of-memory kill."""

from __future__ import annotations

import time

import pytest
from opsbundle import templating
from opsbundle.templating import TemplateProblem, render_string


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("{{ 'a' * 10**10 }}", "over the output bound"),
        ("{{ [1] * 10**9 }}", "over the output bound"),
        ("{{ 10 ** 100000 }}", "exponent 100000"),
        ("{{ 'x' | center(10**10) }}", "width"),
        ("{{ 'x' | indent(10**10) }}", "width"),
        ("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", "output over"),
    ],
)
def test_unbounded_output_is_a_problem(source, why):
    start = time.monotonic()
    with pytest.raises(TemplateProblem, match=why):
        render_string(source, {})
    assert time.monotonic() - start < 5


def test_a_template_that_computes_forever_is_stopped(monkeypatch):
    monkeypatch.setattr(templating, "MAX_SECONDS", 1)
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    start = time.monotonic()
    with pytest.raises(TemplateProblem, match="still rendering after 1 s"):
        render_string(loops, {})
    assert time.monotonic() - start < 10


def test_ordinary_arithmetic_and_repetition_still_work():
    assert render_string("{{ 2 ** 10 }} {{ '-' * 3 }} {{ [0] * 2 }}", {}) == "1024 --- [0, 0]"


def test_escape_filters_are_in_the_environment():
    assert render_string("{{ x | shell_sq }}", {"x": "it's"}) == "'it'\\''s'"

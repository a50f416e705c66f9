"""templating.py: the bounded sandbox. A template is reviewed, but still code:
`{{ 'a' * 10**10 }}` is a finding, not a hang or an out-of-memory kill."""

from __future__ import annotations

import resource
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


def test_compiling_computes_nothing_of_the_template(monkeypatch):
    """Compiling runs outside the render's bounds, so it must not compute the
    template's constant expressions (Jinja2 folds them unless told not to)."""
    calls = []
    counted = lambda value: calls.append(value) or value  # noqa: E731
    monkeypatch.setitem(templating.environment().filters, "counted", counted)
    template = templating.Compiled("{{ 'a' | counted }}{% set b = 'b' | counted %}{{ b }}")
    assert calls == []
    assert template.render({}) == "ab"
    assert calls == ["a", "b"]


def test_constants_of_gigabytes_are_refused_when_rendering_not_computed_when_compiling():
    # folded while compiling, these 2.9 KB took 17 s and 2.3 GB before any bound applied
    source = "{{ 'x' | center(8000000) }}\n" * 100
    start = time.monotonic()
    template = templating.Compiled(source)
    with pytest.raises(TemplateProblem, match="output over"):
        template.render({})
    assert time.monotonic() - start < 5


def test_a_template_that_compiles_for_too_long_is_stopped(monkeypatch):
    monkeypatch.setattr(templating, "MAX_SECONDS", 0.2)
    start = time.monotonic()
    with pytest.raises(TemplateProblem, match="still compiling after 0.2 s"):
        templating.Compiled("{{ x }}\n" * 20000)  # about 2 s to compile here
    assert time.monotonic() - start < 1.5


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + " ~ ".join(["('x' | center(8000000))"] * 300) + " }}",
        "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}"
        "{% set ns.l = ns.l + ['x' | center(8000000)] %}{% endfor %}{{ ns.l | length }}",
    ],
)
def test_values_that_add_up_past_the_memory_bound_are_a_problem(source):
    # each value is within the output bound; unbounded, these took 4.6 GB and 8 GB
    limit = resource.getrlimit(resource.RLIMIT_DATA)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    with pytest.raises(TemplateProblem, match=f"uses over {templating.MAX_MEMORY >> 20} MiB"):
        render_string(source, {})
    assert resource.getrlimit(resource.RLIMIT_DATA) == limit
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 1024 * 1024

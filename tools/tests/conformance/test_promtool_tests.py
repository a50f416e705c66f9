"""promtool's unit tests step through every evaluation up to the last
eval_time: long groups get a coarser step that still lands on every moment
the test and the rules name."""

from opsbundle.conformance.promtool_tests import _evaluation_interval


def group(*eval_times):
    return {"alert_rule_test": [{"eval_time": t, "alertname": "A"} for t in eval_times]}


def test_a_day_long_group_steps_every_ten_minutes():
    assert _evaluation_interval(group("1450m"), [{"for": "86400s"}]) == "600s"


def test_short_groups_keep_one_minute_steps():
    assert _evaluation_interval(group("15m", "12m"), [{"for": "300s"}]) == "1m"


def test_a_step_that_misses_a_named_moment_is_never_chosen():
    # 1441m and 1440m have no common step above a minute: keep one minute
    assert _evaluation_interval(group("1441m"), [{"for": "86400s"}]) == "1m"
    assert _evaluation_interval(group("bogus"), [{"for": "86400s"}]) == "1m"

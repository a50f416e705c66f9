"""A check that looks at the process table runs in one of its own: a process
outside (the test cloud's real glance-api, another run's stand-in) cannot
answer for the one a case killed, even with the job in the machine's."""

from __future__ import annotations

import subprocess

from opsbundle import conformance
from opsbundle.conformance import Job, run_job

from ..conftest import REAL_ROOT
from ..servicechecks_repo import context

NAG = "monitoring/nagios"


def test_a_process_of_the_same_name_outside_does_not_hide_a_killed_one():
    outsider = subprocess.Popen(
        ["/bin/bash", "-c", 'exec -a "/usr/bin/glance-api" sleep 600'],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ctx = context(REAL_ROOT)
        outcome = run_job(ctx, Job("service-checks/v1", NAG, NAG))
        killed = [r for r in outcome.results if r.case == "glance-api-running (killed)"]
        assert killed and all(r.ok for r in killed), killed
        processes = [r for r in outcome.results if "-running" in r.case]
        assert len(processes) > 3 and all(r.ok for r in processes), processes
    finally:
        outsider.kill()
        outsider.wait()


def test_the_stand_in_suites_need_no_lane_of_their_own():
    ctx = context(REAL_ROOT)
    jobs = conformance.jobs(ctx, ["service-checks/v1"])
    assert len({j.lane for j in jobs}) == len(jobs)  # each beside the others

"""Every way to check this repository, in one place.

- `nox`: every session in `nox.options.sessions`, which is what CI runs (.ci/run)
- `nox -s bench`: validate speed and memory, and every log parser's throughput,
  against baselines measured in the same run
- `nox -s site`: the browsable catalog in build/site, checked in a real browser
- `nox -s cloud`: the mini cloud from our own debs (keystone, placement, glance),
  and every suite's `openstack` tests against it
- `nox -s monitoring`: the monitoring bundles run by real Prometheus, Alertmanager,
  Zabbix server and the check commands against the real daemons of tools/testcloud
  and the mini cloud's APIs (the same cloud `nox -s cloud` started, when both run)
"""

import atexit
import contextlib
import os
import shutil
import subprocess
import tempfile

import nox

nox.options.sessions = [
    "lint", "tests", "validate", "changes", "injection", "site", "cloud", "monitoring",
]  # fmt: skip
nox.options.reuse_existing_virtualenvs = True
SITE = "build/site"  # the catalog `nox -s site` builds and tests (CI keeps it)


@nox.session
def lint(session):
    """ruff on the Python, yamllint on every YAML file (bad fixtures excepted)."""
    session.install("ruff", "yamllint")
    session.run("ruff", "check", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "tools", "noxfile.py")
    session.run("yamllint", "--strict", ".")


@contextlib.contextmanager
def one_test_cloud(session):
    """One test cloud (tools/testcloud) for every pytest worker of the session:
    each daemon starts once, when a test first needs it, into one state dir
    (its lock serialises the starts), and all are stopped by PID at the end."""
    state = tempfile.mkdtemp(prefix="testcloud-nox-")
    try:
        yield {"OPSBUNDLES_TESTCLOUD": state}
    finally:
        session.run("python", "-m", "testcloud", "down", "--state", state, silent=True)
        shutil.rmtree(state, ignore_errors=True)


# The cloud `nox -s cloud` and `nox -s monitoring` share within one nox run
# (CI runs both): the first of them starts it, nox's exit stops it.
_SHARED_CLOUD: dict[str, str] = {}


def _stop_shared_cloud(python: str, state: str) -> None:
    subprocess.run([python, "-m", "testcloud", "down", "--state", state], check=False)
    shutil.rmtree(state, ignore_errors=True)


def shared_test_cloud(session) -> dict[str, str]:
    """The environment that points pytest at the one mini cloud of this nox
    run (OPSBUNDLES_TESTCLOUD), made by the first session that asks: the
    debs' install and the services' start (about 2 minutes here) happen once
    for `cloud` and `monitoring`. A caller's own OPSBUNDLES_TESTCLOUD is used
    as it is, and left running."""
    if os.environ.get("OPSBUNDLES_TESTCLOUD"):
        return {"OPSBUNDLES_TESTCLOUD": os.environ["OPSBUNDLES_TESTCLOUD"]}
    if not _SHARED_CLOUD:
        state = tempfile.mkdtemp(prefix="testcloud-nox-")
        _SHARED_CLOUD["state"] = state
        atexit.register(_stop_shared_cloud, os.path.join(session.bin, "python"), state)
    return {"OPSBUNDLES_TESTCLOUD": _SHARED_CLOUD["state"]}


@nox.session
def tests(session):
    """The test suite of the opsbundle command and its checks, in one process
    per core (pytest-xdist; a test file stays on one worker, so its module
    fixtures start once)."""
    session.install("-e", ".[test]")
    with one_test_cloud(session) as env:
        # the site's tests run in `nox -s site`, with the site they build kept;
        # those of our packaged OpenStack services in `nox -s cloud`, the
        # real-engine monitoring suites in `nox -s monitoring`
        session.run(
            "pytest", "-q", "-n", "auto", "--dist", "loadfile", "-m", "not openstack",
            "--ignore=tools/tests/static_site", "--ignore=tools/tests/monitoring",
            *session.posargs, env=env,
        )  # fmt: skip


@nox.session
def validate(session):
    """Every bundle in the repository, with the real engines required."""
    session.install("-e", ".")
    session.run("opsbundle", "validate", "--require-native", "--no-cache", *session.posargs)


def _git_ok(*args: str) -> bool:
    return subprocess.run(["git", *args], capture_output=True, check=False).returncode == 0


def _changes_base(session) -> str | None:
    """What a branch is compared with. $OPSBUNDLES_BASE_REF when set (Zuul sets
    the change's target branch); else origin/main (or a local main) when HEAD
    is not already in it (a feature branch); else HEAD^, what the last commit changed (on a clean
    clone of main that is the last merge, whose bundles owe their bumps). A
    shallow clone lacks that history: the session fails and says so."""
    if os.environ.get("OPSBUNDLES_BASE_REF"):
        return os.environ["OPSBUNDLES_BASE_REF"]
    for main in ("origin/main", "main"):
        on_main = _git_ok("merge-base", "--is-ancestor", "HEAD", main)
        if _git_ok("rev-parse", "--verify", "-q", main) and not on_main:
            return main
    if _git_ok("rev-parse", "--verify", "-q", "HEAD^"):
        return "HEAD^"
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], capture_output=True, text=True
    ).stdout.strip()
    if shallow == "true":
        session.error(
            "shallow clone: no parent commit to compare with; run `git fetch --deepen=1` "
            "(or set OPSBUNDLES_BASE_REF) and retry"
        )
    session.log("the first commit: no earlier version of any bundle, no bump owed")
    return None


@nox.session
def changes(session):
    """`opsbundle validate --changed-since BASE`: the bundles changed on this
    branch (or by the last commit on main) and that each bumped its version."""
    session.install("-e", ".")
    base = _changes_base(session)
    if base:
        session.run("opsbundle", "validate", "--no-native", "--changed-since", base)


@nox.session
def injection(session):
    """Every tool bundle x every string parameter x the hostile corpus, through
    the real engines (issue 8); prints the figures: refused, escaped, executed."""
    session.install("-e", ".")
    session.run("opsbundle", "test", "--interface", "injection", *session.posargs)


@nox.session
def site(session):
    """`opsbundle site -o build/site`, every page through the W3C Nu checker, and
    Debian's headless Chromium on the DOM; screenshots land in build/site/screenshots."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-q",
        "tools/tests/static_site",
        *session.posargs,
        env={"OPSBUNDLE_SITE_DIR": SITE},
    )


@nox.session
def monitoring(session):
    """Each monitoring bundle as its real engine runs it, on real daemons: Debian's
    Prometheus and Alertmanager with the rendered rules, scrape jobs, blackbox
    modules and route, paging a webhook; zabbix_server and agent 2 executing the
    imported template; the nagios, icinga2 and sensu commands; all against the
    mini cloud's keystone, placement and glance too. Every suite shares one test
    cloud: the one `nox -s cloud` started when both run (CI), else its own."""
    session.install("-e", ".[test]")
    env = shared_test_cloud(session)
    state = env["OPSBUNDLES_TESTCLOUD"]
    session.run("python", "-m", "testcloud", "up", "openstack", "--state", state)
    session.run("pytest", "-q", "tools/tests/monitoring", *session.posargs, env=env)


@nox.session
def bench(session):
    """validate against a YAML-only baseline, parsers against a line split, same run."""
    session.install("-e", ".")
    session.run("python", "tools/bench/bench.py", *session.posargs)


@nox.session
def cloud(session):
    """Build keystone, placement and glance debs from their PyPI sdists (cached by
    content), install them in a Debian 12 chroot, start them as their units say
    with real MariaDB, memcached and RabbitMQ, run every `openstack`-marked test
    against that one cloud (openstackclient, logs, logrotate, purge), stop it."""
    session.install("-e", ".[test]")
    env = shared_test_cloud(session)
    state = env["OPSBUNDLES_TESTCLOUD"]
    session.run("python", "-m", "testcloud", "up", "openstack", "--state", state)
    # the monitoring suites use this cloud too, in `nox -s monitoring`
    session.run("pytest", "-q", "-m", "openstack", "--ignore=tools/tests/monitoring",
                *session.posargs, env=env)  # fmt: skip

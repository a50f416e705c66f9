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
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nox

nox.options.sessions = [
    "lint", "tests", "validate", "changes", "injection", "site", "cloud", "monitoring",
]  # fmt: skip
nox.options.reuse_existing_virtualenvs = True
SITE = "build/site"  # the catalog `nox -s site` builds and tests (CI keeps it)

# tools/setup.sh installs the project, with its test extras, into .venv, and CI
# runs .venv/bin/nox: there every session that needs the project runs in that
# environment instead of building a virtualenv and installing the same thing
# again per session. Another nox (or `nox --force-venv-backend`) gets
# a virtualenv per session, with the project installed in it.
PROJECT_VENV = Path(sys.prefix).resolve() == (Path(__file__).parent / ".venv").resolve()
PROJECT = {"venv_backend": "none"} if PROJECT_VENV else {}
if PROJECT_VENV:  # as if .venv were activated: its console scripts first on PATH
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def install_project(session, extras: str = "") -> None:
    """The project (editable) in the session's virtualenv; in .venv, where
    tools/setup.sh installed it already, nothing (it says if it is missing)."""
    if session.venv_backend != "none":  # not .venv (or --force-venv-backend)
        session.install("-e", f".{extras}")
        return
    missing = [m for m in ("opsbundle", "ruff", "yamllint") if importlib.util.find_spec(m) is None]
    if missing:  # tools/setup.sh installs them
        session.error(f"{', '.join(missing)} missing in .venv: run `bash tools/setup.sh`")


@nox.session(**PROJECT)
def lint(session):
    """ruff on the Python, yamllint on every YAML file (bad fixtures excepted)."""
    install_project(session, "[lint]")
    session.run("ruff", "check", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "tools", "noxfile.py")
    session.run("yamllint", "--strict", ".")


_CLOUD: dict[str, str] = {}


def _cloud_down(python: str, state: str) -> None:
    subprocess.run([python, "-m", "testcloud", "down", "--state", state], check=False)
    shutil.rmtree(state, ignore_errors=True)


def shared_test_cloud(session) -> dict[str, str]:
    """One test cloud (tools/testcloud) for every session of this nox run and
    every pytest worker in them: each daemon starts once, when a test first
    needs it (the state dir's lock serialises the starts), and `nox -s cloud`
    adds our packaged services to the daemons `nox -s tests` started. All are
    stopped by PID when nox exits. Returns the environment that points pytest at it."""
    if "state" not in _CLOUD:
        _CLOUD["state"] = tempfile.mkdtemp(prefix="testcloud-nox-")
        venv = session.venv_backend != "none"
        python = f"{session.virtualenv.location}/bin/python" if venv else sys.executable
        atexit.register(_cloud_down, python, _CLOUD["state"])
    return {"OPSBUNDLES_TESTCLOUD": _CLOUD["state"]}


@nox.session(**PROJECT)
def tests(session):
    """The test suite of the opsbundle command and its checks, in one process
    per core (pytest-xdist; a test file stays on one worker, so its module
    fixtures start once)."""
    install_project(session, "[test]")
    # the site's tests run in `nox -s site`, with the site they build kept;
    # those of our packaged OpenStack services in `nox -s cloud`, the
    # real-engine monitoring suites in `nox -s monitoring`
    session.run(
        "pytest", "-q", "-n", "auto", "--dist", "loadfile", "-m", "not openstack",
        "--ignore=tools/tests/static_site", "--ignore=tools/tests/monitoring",
        *session.posargs, env=shared_test_cloud(session),
    )  # fmt: skip


@nox.session(**PROJECT)
def validate(session):
    """Every bundle in the repository, with the real engines required."""
    install_project(session)
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


@nox.session(**PROJECT)
def changes(session):
    """`opsbundle validate --changed-since BASE`: the bundles changed on this
    branch (or by the last commit on main) and that each bumped its version."""
    install_project(session)
    base = _changes_base(session)
    if base:
        session.run("opsbundle", "validate", "--no-native", "--changed-since", base)


@nox.session(**PROJECT)
def injection(session):
    """Every tool bundle x every string parameter x the hostile corpus, through
    the real engines (issue 8); prints the figures: refused, escaped, executed."""
    install_project(session)
    session.run("opsbundle", "test", "--interface", "injection", *session.posargs)


@nox.session(**PROJECT)
def site(session):
    """`opsbundle site -o build/site`, every page through the W3C Nu checker, and
    Debian's headless Chromium on the DOM; screenshots land in build/site/screenshots."""
    install_project(session, "[test]")
    session.run(
        "pytest",
        "-q",
        "tools/tests/static_site",
        *session.posargs,
        env={"OPSBUNDLE_SITE_DIR": SITE},
    )


@nox.session(**PROJECT)
def bench(session):
    """validate against a YAML-only baseline, parsers against a line split, same run."""
    install_project(session)
    session.run("python", "tools/bench/bench.py", *session.posargs)


@nox.session(**PROJECT)
def cloud(session):
    """Build keystone, placement and glance debs from their PyPI sdists (cached by
    content), install them in a Debian 12 chroot, start them as their units say
    with real MariaDB, memcached and RabbitMQ, run every `openstack`-marked test
    against that one cloud (openstackclient, logs, logrotate, purge): the cloud
    `nox -s tests` started, when both run."""
    install_project(session, "[test]")
    env = shared_test_cloud(session)
    state = env["OPSBUNDLES_TESTCLOUD"]
    session.run("python", "-m", "testcloud", "up", "openstack", "--state", state)
    # the monitoring suites use this cloud too, in `nox -s monitoring`
    session.run("pytest", "-q", "-m", "openstack", "--ignore=tools/tests/monitoring",
                *session.posargs, env=env)  # fmt: skip


@nox.session(**PROJECT)
def monitoring(session):
    """Each monitoring bundle as its real engine runs it, on real daemons: Debian's
    Prometheus and Alertmanager with the rendered rules, scrape jobs, blackbox
    modules and route, paging a webhook; zabbix_server and agent 2 executing the
    imported template; the nagios, icinga2 and sensu commands; all against the
    mini cloud's keystone, placement and glance too, on the one test cloud of
    this nox run (the one `nox -s cloud` started, when both run)."""
    install_project(session, "[test]")
    env = shared_test_cloud(session)
    state = env["OPSBUNDLES_TESTCLOUD"]
    session.run("python", "-m", "testcloud", "up", "openstack", "--state", state)
    session.run("pytest", "-q", "tools/tests/monitoring", *session.posargs, env=env)

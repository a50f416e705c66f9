"""Write the oslo.log part of the log-fields/v1 corpus with the real oslo.log,
once per oslo.log release we claim, each in its own venv from PyPI.

    python interfaces/log-fields/v1/conformance/generate_oslo.py            # every version
    python interfaces/log-fields/v1/conformance/generate_oslo.py 8.3.2      # one

Every record is written twice by oslo.log itself: by its ContextFormatter into
`<program>.log` (what parsers read) and by its JSONFormatter into
`<program>.twin.jsonl` (the oracle). `site.json` beside them holds the format
options the site ran with (a site may change them). The expected event is
derived from the twin by `tools/opsbundle/conformance/oracle.py`, a small
mapping documented in interfaces/log-fields/v1/README.md; nothing here parses a
line. Times are fixed and the pid pinned, so a re-run writes the same bytes.

Run without arguments, it makes `.venv/oslo-log/<version>` with `pip install
oslo.log==<version>` when missing and runs itself there with `--here`.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
# Debian 12's python3-oslo.log (Zed, what the mini cloud runs), then the newest
# of every major series since: 2024.1, 2024.2, 2025.1 and today's.
VERSIONS = ("5.0.1", "5.5.1", "6.1.2", "7.1.0", "8.3.2")
PID = 4242
START = 1795743792.0  # 2026-11-27T01:43:12Z
IDS = {
    "global": "req-0b9a7c61-3f52-4e8f-9d2a-6c1e5a7b8d90",
    "request": "req-5d1f2e3a-8b4c-4d6e-9f7a-1b2c3d4e5f60",
    "user": "9f1c2b3a4d5e6f708192a3b4c5d6e7f8",
    "project": "2b7e151628aed2a6abf7158809cf4f3c",
    "instance": "8c3f6a2e-1d4b-4f7a-9e2c-5b6d7e8f9a01",
}
# the context format sites used before oslo.log printed the global request id
LEGACY_FORMAT = (
    "%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s "
    "[%(request_id)s %(user_identity)s] %(instance)s%(message)s"
)
LEGACY_IDENTITY = "%(user)s %(project)s %(domain)s %(user_domain)s %(project_domain)s"
NAMES_IDENTITY = (
    "%(user_name)s %(project_name)s %(domain)s %(system_scope)s %(user_domain)s %(project_domain)s"
)
CODE_PATH = "/usr/lib/python3/dist-packages/nova/compute/manager.py"


def _venv(version: str) -> Path:
    venv = ROOT / ".venv" / "oslo-log" / version
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"oslo.log=={version}"],
                       check=True)  # fmt: skip
    return python


# ---- what runs inside a venv -------------------------------------------------


class _Clock(logging.Filter):
    """Fixed, increasing record times and a pinned pid, seen by both handlers."""

    def __init__(self):
        super().__init__()
        self.now = START

    def filter(self, record):
        self.now += 0.137
        record.created = self.now
        record.msecs = (self.now - int(self.now)) * 1000
        record.relativeCreated = 0.0
        record.process = PID
        record.thread = 1
        record.pathname = CODE_PATH
        return True


def _conf(overrides: dict):
    from oslo_config import cfg
    from oslo_log import log

    conf = cfg.ConfigOpts()
    log.register_options(conf)
    conf(["--debug"], project="nova")
    for key, value in overrides.items():
        conf.set_override(key, value)
    return conf


def _logger(name: str, folder: Path, program: str, conf):
    """A logger with the JSON twin handler first (it must see `instance` as
    passed), then the text handler, as a log_config_append file would set."""
    import socket

    from oslo_log import formatters

    socket.gethostname = lambda: "cmp-01"  # the twin names the host; pin it
    logger = logging.getLogger(name)
    for handler in logger.handlers:
        handler.close()
    logger.handlers, logger.filters = [], []
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addFilter(_Clock())
    folder.mkdir(parents=True, exist_ok=True)
    twin = logging.FileHandler(folder / f"{program}.twin.jsonl", mode="w", encoding="utf-8")
    twin.setFormatter(formatters.JSONFormatter(datefmt=conf.log_date_format))
    text = logging.FileHandler(folder / f"{program}.log", mode="w", encoding="utf-8")
    text.setFormatter(
        formatters.ContextFormatter(
            project="nova", version="1", config=conf, datefmt=conf.log_date_format
        )
    )
    logger.addHandler(twin)
    logger.addHandler(text)
    return logger


def _ctx(**kw):
    from oslo_context import context

    values = {
        "user_id": IDS["user"],
        "project_id": IDS["project"],
        "request_id": IDS["request"],
        "global_request_id": IDS["global"],
        "user_domain_id": "default",
        "project_domain_id": "default",
        "overwrite": False,
    }
    values.update(kw)
    ctx = context.RequestContext(**values)
    # a new context makes itself the thread's current one when none is; keep
    # the thread empty so a call without context= prints "[-]"
    context._request_store.context = None
    return ctx


# The failing code is compiled as nova's file, so that tracebacks name the same
# paths wherever the repository is checked out; linecache gets its source so
# the traceback shows its lines, as it does for installed code.
FAILING = """\
def _raise(kind, text):
    raise kind(text)


def _chained():
    try:
        _raise(ConnectionRefusedError, "libvirt socket refused")
    except ConnectionRefusedError as exc:
        raise RuntimeError("Hypervisor unavailable") from exc


def _during():
    try:
        _raise(TimeoutError, "AMQP timed out")
    except TimeoutError:
        _raise(OSError, "cleanup failed")


def update_available_resource(log, ctx, instance):
    for text in ("Failed to connect to libvirt", "Failed to connect:\\nconnection refused"):
        try:
            _raise(ConnectionError, text)
        except ConnectionError:
            log.exception("Error updating resources for node cmp-01.", context=ctx,
                          instance=instance)
    try:
        _chained()
    except RuntimeError:
        log.exception("Instance failed to spawn", context=ctx, instance=instance)
    try:
        _during()
    except OSError:
        log.exception("Failed to clean up after a timeout")
    try:
        _raise(ConnectionError, "Lost the AMQP connection")
    except ConnectionError:
        log.error("Periodic task failed", context=ctx)
"""


def _failing():
    import linecache

    lines = FAILING.splitlines(keepends=True)
    linecache.cache[CODE_PATH] = (len(FAILING), None, lines, CODE_PATH)
    scope: dict = {}
    exec(compile(FAILING, CODE_PATH, "exec"), scope)  # our own constant, not input
    return scope["update_available_resource"]


def _request_log(log, ctx, addr, method, uri, status, length, microversion, seconds):
    """nova.api.openstack.requestlog's call, with its format and arguments."""
    fmt = (
        '%(REMOTE_ADDR)s "%(REQUEST_METHOD)s %(REQUEST_URI)s" status: %(status)s len: %(len)s '
        "microversion: %(microversion)s time: %(time).6f"
    )
    data = {"REMOTE_ADDR": addr, "REQUEST_METHOD": method, "REQUEST_URI": uri, "status": status,
            "len": length, "time": seconds, "microversion": microversion}  # fmt: skip
    log.info(fmt, data, context=ctx)


def _wsgi_access(log, ctx, addr, request_line, status, length, seconds):
    """The access line of eventlet's wsgi server with oslo.service's
    `wsgi_log_format`; eventlet formats it before logging, here oslo.log does
    with the same values as arguments, so the twin carries them."""
    fmt = (
        '%(client_ip)s "%(request_line)s" status: %(status_code)s len: %(body_length)s '
        "time: %(wall_seconds).7f"
    )
    data = {"client_ip": addr, "request_line": request_line, "status_code": status,
            "body_length": length, "wall_seconds": seconds}  # fmt: skip
    log.info(fmt, data, context=ctx)


def _scenario(kind: str, log) -> None:  # noqa: C901 - one branch per record kind, as listed
    instance = {"uuid": IDS["instance"]}
    if kind in ("oslo-context-8", "oslo-context-6", "oslo-names"):
        ctx = _ctx(user_name="alice", project_name="demo")
        log.info("Took 2.31 seconds to spawn the instance on the hypervisor.", context=ctx,
                 instance=instance)  # fmt: skip
        log.warning("Quota exceeded for cores: Requested 8, but already used 20 of 20", context=ctx)
        log.error("Setting instance vm_state to ERROR", context=ctx, instance=instance)
    elif kind == "oslo-none-global":
        ctx = _ctx(global_request_id=None)
        log.info("Claim successful on node cmp-01", context=ctx, instance=instance)
        log.warning("Unable to find a flavor for the request", context=ctx)
    elif kind == "oslo-scopes":
        log.info("Listing domain users", context=_ctx(project_id=None, domain_id="default",
                                                      global_request_id=None))  # fmt: skip
        log.info("Listing all hypervisors", context=_ctx(project_id=None, system_scope="all",
                                                         project_domain_id=None))  # fmt: skip
        log.info("Service user request", context=_ctx(user_id=None, project_id=None,
                                                      user_domain_id=None, project_domain_id=None))  # fmt: skip
    elif kind == "oslo-no-context":
        log.info("Periodic task run without a request")
        log.warning("No compute node record for host cmp-01")
        log.info("Instance is running on this host", instance=instance)
        log.info("Resuming guest", instance_uuid=IDS["instance"])
    elif kind == "oslo-debug":
        log.debug('Acquiring lock "compute_resources" by "update_available_resource"',
                  context=_ctx(global_request_id=None))  # fmt: skip
        log.debug("Running periodic task ComputeManager._heal_instance_info_cache")
        log.debug("Updating instance to original state", instance=instance)
    elif kind == "oslo-traceback":
        _failing()(log, _ctx(), instance)  # tracebacks, chained ones, a summary only
    elif kind == "oslo-continuation":
        ctx = _ctx()
        log.error("Instance failed to spawn:\nvirDomainCreateWithFlags failed\ncode=38",
                  context=ctx, instance=instance)  # fmt: skip
        log.info("Compute node inventory:\n  VCPU: 64\n  MEMORY_MB: 515072", context=ctx)
        log.info("Image «Ubuntu 24.04 – 日本語» (Größe 2,1 GiB) is active ✓", context=ctx)
        log.warning("Request body: %s", "x" * 20000, context=ctx)
    elif kind == "nova-request-log":
        ctx = _ctx()
        _request_log(log, ctx, "10.0.0.5,10.0.0.1", "GET", "/v2.1/servers/detail", "200", 1893,
                     "2.90", 0.1234)  # fmt: skip
        _request_log(log, ctx, "192.0.2.10", "POST", "/v2.1/servers", "202", 412, "2.1", 1.5)
        _request_log(log, ctx, "2001:db8::10", "GET", "/v2.1/", "200", None, "-", 0.004)
    elif kind == "oslo-wsgi-access":
        ctx = _ctx()
        _wsgi_access(log, ctx, "198.51.100.7", "GET /v2.1/flavors HTTP/1.1", 200, 2210, 0.0421337)
        _wsgi_access(log, ctx, "198.51.100.7", "DELETE /v2.1/servers/x HTTP/1.1", 404, 0, 0.003)
    else:
        raise ValueError(kind)


# kind: (service, program, logger, format overrides)
KINDS = {
    "oslo-context-8": ("nova", "nova-compute", "nova.compute.manager", {}),
    "oslo-none-global": ("nova", "nova-compute", "nova.compute.manager", {}),
    "oslo-context-6": ("nova", "nova-compute", "nova.compute.manager", {
        "logging_context_format_string": LEGACY_FORMAT,
        "logging_user_identity_format": LEGACY_IDENTITY}),  # fmt: skip
    "oslo-names": ("nova", "nova-compute", "nova.compute.manager", {
        "logging_user_identity_format": NAMES_IDENTITY}),  # fmt: skip
    "oslo-scopes": ("keystone", "keystone", "keystone.server.flask.application", {}),
    "oslo-no-context": ("nova", "nova-compute", "nova.compute.manager", {}),
    "oslo-debug": ("nova", "nova-compute", "nova.compute.manager", {}),
    "oslo-traceback": ("nova", "nova-compute", "nova.compute.manager", {}),
    "oslo-continuation": ("nova", "nova-compute", "nova.compute.manager", {}),
    "nova-request-log": ("nova", "nova-api", "nova.api.openstack.requestlog", {}),
    "oslo-wsgi-access": ("glance", "glance-api", "eventlet.wsgi.server", {}),
}
SITE_KEYS = ("logging_context_format_string", "logging_default_format_string",
             "logging_user_identity_format", "logging_debug_format_suffix",
             "logging_exception_prefix", "instance_format", "instance_uuid_format")  # fmt: skip


def _write(out: Path) -> None:
    from oslo_log import log as oslo
    from oslo_log import version as oslo_version

    os.environ["TZ"] = "UTC"
    time.tzset()
    for kind, (service, program, name, overrides) in KINDS.items():
        conf = _conf(overrides)
        folder = out / kind / service
        logger = _logger(name, folder, program, conf)
        _scenario(kind, oslo.getLogger(name))
        for handler in logger.handlers:
            handler.close()
        site = {key: getattr(conf, key) for key in SITE_KEYS}
        site["oslo.log"] = oslo_version.version_info.version_string()
        (out / kind / "site.json").write_text(json.dumps(site, indent=2) + "\n", encoding="utf-8")
        lines = (folder / f"{program}.twin.jsonl").read_text(encoding="utf-8").count("\n")
        print(f"{out.name}/{kind}/{service}/{program}.log: {lines} records")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--here"]:
        _write(Path(argv[1]))
        return 0
    corpus = HERE / "corpus"
    for version in argv or VERSIONS:
        python = _venv(version)
        subprocess.run([str(python), __file__, "--here", str(corpus / f"oslo.log-{version}")],
                       check=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

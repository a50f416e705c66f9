"""Write the oslo.log samples of the log-fields/v1 conformance suite with the
real oslo.log library, and the events a parser must produce from them.

    python interfaces/log-fields/v1/conformance/generate_oslo.py

The expected events come from the LogRecords oslo.log formatted (their time,
pid, level, logger, context), never from parsing the lines, so the suite is an
independent oracle. Times are fixed and the pid is pinned so that re-running
gives the same files byte for byte.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
from pathlib import Path

from oslo_config import cfg
from oslo_context import context
from oslo_log import log

HERE = Path(__file__).resolve().parent
PID = 4242
START = 1795743792.0  # 2026-11-27T01:43:12Z
UUIDS = {
    "global": "req-0b9a7c61-3f52-4e8f-9d2a-6c1e5a7b8d90",
    "request": "req-5d1f2e3a-8b4c-4d6e-9f7a-1b2c3d4e5f60",
    "user": "9f1c2b3a4d5e6f708192a3b4c5d6e7f8",
    "project": "2b7e151628aed2a6abf7158809cf4f3c",
    "instance": "8c3f6a2e-1d4b-4f7a-9e2c-5b6d7e8f9a01",
}
LEGACY_FORMAT = (
    "%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s "
    "[%(request_id)s %(user_identity)s] %(instance)s%(message)s"
)
LEGACY_IDENTITY = "%(user)s %(project)s %(domain)s %(user_domain)s %(project_domain)s"


class _Clock:
    """Hands out fixed, increasing record times (oslo.log reads record.created)."""

    def __init__(self):
        self.now = START

    def __call__(self, record):
        self.now += 0.137
        record.created = self.now
        record.msecs = (self.now - int(self.now)) * 1000
        record.process = PID
        return True


def _logger(legacy: bool):
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    args = ["--debug"]
    conf(args, project="nova")
    if legacy:
        conf.set_override("logging_context_format_string", LEGACY_FORMAT)
        conf.set_override("logging_user_identity_format", LEGACY_IDENTITY)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        log.formatters.ContextFormatter(
            project="nova", version="1", config=conf, datefmt=conf.log_date_format
        )
    )
    clock = _Clock()
    handler.addFilter(clock)
    return handler, stream


def _ctx(global_id: bool = True):
    ctx = context.RequestContext(
        user_id=UUIDS["user"],
        project_id=UUIDS["project"],
        request_id=UUIDS["request"],
        global_request_id=UUIDS["global"] if global_id else None,
        user_domain_id="default",
        project_domain_id="default",
        overwrite=False,
    )
    # a new context makes itself the thread's current one when none is; keep
    # the thread empty so a call without context= prints "[-]"
    context._request_store.context = None
    return ctx


def _iso(record) -> str:
    """The record's time as log-fields/v1 writes it: local time (oslo.log prints
    no offset) with the milliseconds oslo.log printed (%(msecs)03d truncates)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(int(record.created)))
    return f"{stamp}.{int(record.msecs):03d}"


class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        # runs before the formatter replaces record.instance by its printed form
        instance = getattr(record, "instance", None)
        record.expected_instance = instance.get("uuid") if isinstance(instance, dict) else None
        self.records.append(record)


def _expected(record, legacy: bool, traceback_lines: list[str] | None, where) -> dict:
    ctx = getattr(record, "context", None)
    event = {
        "timestamp": _iso(record),
        "pid": PID,
        "level": record.levelname,
        "logger": record.name,
        "service": where[0],
        "program": where[1],
    }
    if ctx is not None:
        event["request_id"] = ctx.request_id
        if ctx.global_request_id and not legacy:
            event["global_request_id"] = ctx.global_request_id
        event["user_id"] = ctx.user_id
        event["project_id"] = ctx.project_id
        event["user_domain_id"] = ctx.user_domain_id
        event["project_domain_id"] = ctx.project_domain_id
    if record.expected_instance:
        event["instance_id"] = record.expected_instance
    message = record.getMessage()
    if record.exc_info:
        exc = record.exc_info[1]
        message += f": {type(exc).__name__}: {exc}"
    first, *rest = message.split("\n")
    if record.levelno == logging.DEBUG:
        event["function"] = record.funcName
        event["code_path"] = record.pathname
        event["code_line"] = record.lineno
    event["message"] = "\n".join([first, *rest])
    if traceback_lines:
        event["traceback"] = "\n".join(traceback_lines)
    return event


def _nova_request(adapter, ctx, method, path, status, length, microversion, seconds):
    """nova.api.openstack.requestlog's line, in its documented format."""
    adapter.info(
        '%s "%s %s" status: %s len: %s microversion: %s time: %.6f',
        "192.0.2.10", method, path, status, length, microversion, seconds, context=ctx,
    )
    return {
        "http_client_ip": "192.0.2.10", "http_method": method, "http_path": path,
        "http_status": status, "http_bytes": length, "http_microversion": microversion,
        "http_duration_s": float(f"{seconds:.6f}"),
    }


def _wsgi_access(adapter, ctx, method, path, status, length, seconds):
    """oslo.service wsgi's access line ("%(client_ip)s "%(request_line)s" status:
    %(status_code)s len: %(body_length)s time: %(wall_seconds).7f")."""
    adapter.info(
        '%s "%s %s HTTP/1.1" status: %s len: %s time: %.7f',
        "198.51.100.7", method, path, status, length, seconds, context=ctx,
    )
    return {
        "http_client_ip": "198.51.100.7", "http_method": method, "http_path": path,
        "http_version": "1.1", "http_status": status, "http_bytes": length,
        "http_duration_s": float(f"{seconds:.7f}"),
    }


def _raise(text):
    raise ConnectionError(text)


def _scenario(kind: str, adapter, ctx) -> list[dict]:
    """Log one kind of record; returns the http fields each record carries."""
    instance = {"uuid": UUIDS["instance"]}
    if kind in ("oslo-context-8", "oslo-context-6"):
        adapter.info("Took 2.31 seconds to spawn the instance on the hypervisor.", context=ctx,
                     instance=instance)
        adapter.warning("Quota exceeded for cores: Requested 8, but already used 20 of 20",
                        context=ctx)
        adapter.error("Setting instance vm_state to ERROR", context=ctx, instance=instance)
        return [{}, {}, {}]
    if kind == "oslo-no-context":
        adapter.info("Periodic task run without a request")
        adapter.warning("No compute node record for host cmp-01")
        return [{}, {}]
    if kind == "oslo-debug":
        adapter.debug('Acquiring lock "compute_resources" by "update_available_resource"',
                      context=ctx)
        adapter.debug("Running periodic task ComputeManager._heal_instance_info_cache")
        return [{}, {}]
    if kind == "oslo-traceback":
        for text in ("Failed to connect to libvirt", "Failed to connect:\nconnection refused"):
            try:
                _raise(text)
            except ConnectionError:
                adapter.exception("Error updating resources for node cmp-01.", context=ctx,
                                  instance=instance)
        return [{}, {}]
    if kind == "oslo-continuation":
        adapter.error("Instance failed to spawn:\nvirDomainCreateWithFlags failed\ncode=38",
                      context=ctx, instance=instance)
        adapter.info("Compute node inventory:\n  VCPU: 64\n  MEMORY_MB: 515072", context=ctx)
        return [{}, {}]
    if kind == "nova-request-log":
        return [
            _nova_request(adapter, ctx, "GET", "/v2.1/servers/detail", 200, 1893, "2.90", 0.1234),
            _nova_request(adapter, ctx, "POST", "/v2.1/servers", 202, 412, "2.1", 1.5),
        ]
    if kind == "oslo-wsgi-access":
        return [
            _wsgi_access(adapter, ctx, "GET", "/v2.1/flavors", 200, 2210, 0.0421337),
            _wsgi_access(adapter, ctx, "DELETE", "/v2.1/servers/x", 404, 0, 0.003),
        ]
    raise ValueError(kind)


KINDS = {
    "oslo-context-8": ("nova", "nova-compute", "nova.compute.manager"),
    "oslo-context-6": ("nova", "nova-compute", "nova.compute.manager"),
    "oslo-no-context": ("nova", "nova-compute", "nova.compute.manager"),
    "oslo-debug": ("nova", "nova-compute", "nova.compute.manager"),
    "oslo-traceback": ("nova", "nova-compute", "nova.compute.manager"),
    "oslo-continuation": ("nova", "nova-compute", "nova.compute.manager"),
    "nova-request-log": ("nova", "nova-api", "nova.api.openstack.requestlog"),
    "oslo-wsgi-access": ("nova", "nova-api", "nova.osapi_compute.wsgi.server"),
}


def _emit(kind: str):
    legacy = kind == "oslo-context-6"
    handler, stream = _logger(legacy)
    recorder = _Recorder()
    logger = logging.getLogger(KINDS[kind][2])
    logger.handlers = [recorder, handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    adapter = log.getLogger(KINDS[kind][2])
    http = _scenario(kind, adapter, _ctx(global_id=not legacy))
    return stream.getvalue(), recorder.records, http


def _events(text: str, records, legacy: bool, where: tuple[str, str]) -> list[dict]:
    """Pair each record with the traceback lines oslo.log printed after it."""
    lines = text.splitlines()
    events = []
    i = 0
    for record in records:
        i += 1  # the record's own first line
        message = record.getMessage()
        if record.exc_info:
            exc = record.exc_info[1]
            message += f": {type(exc).__name__}: {exc}"
        i += message.count("\n")
        tb = []
        if record.exc_info:
            prefix = lines[i].split("Traceback (most recent call last):")[0]
            while i < len(lines) and lines[i].startswith(prefix):
                tb.append(lines[i][len(prefix):])
                i += 1
            while tb and not tb[-1].strip():
                tb.pop()
        events.append(_expected(record, legacy, tb, where))
    assert i == len(lines), (i, len(lines))
    return events


def main() -> int:
    os.environ["TZ"] = "UTC"
    time.tzset()
    # oslo.log prints the absolute path of the calling file in DEBUG suffixes:
    # it is replaced by a packaged nova path so the sample does not depend on
    # where the repository lives.
    path = "/usr/lib/python3/dist-packages/nova/compute/manager.py"
    for kind, (service, program, _) in KINDS.items():
        text, records, http = _emit(kind)
        text = text.replace(records[0].pathname, path)
        events = _events(text, records, kind == "oslo-context-6", (service, program))
        for event, fields in zip(events, http, strict=True):
            event.update(fields)
            if "code_path" in event:
                event["code_path"] = path
        out = HERE / "samples" / kind / service / f"{program}.log"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        out.with_suffix(".json").write_text(json.dumps(events, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(HERE)}: {len(records)} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())

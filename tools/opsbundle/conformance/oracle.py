"""The oracle of the log-fields/v1 suite: the event a record must give, taken
from the JSON twin a real program wrote beside its log, never from the line.

This is the small mapping interfaces/log-fields/v1/README.md documents
("The oracle"). It shares nothing with the parsers: it reads oslo.log's
JSONFormatter output (the same LogRecord as the text line) and the site's
format options (`site.json`), and says which fields the text line carries;
for Apache, the JSON its second CustomLog wrote of the same request.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# oslo.log's logging_*_format_string placeholders -> the contract's fields
CONTEXT_FIELDS = {
    "global_request_id": "global_request_id",
    "request_id": "request_id",
    "user": "user_id",
    "user_name": "user_id",
    "project": "project_id",
    "tenant": "project_id",
    "project_name": "project_id",
    "domain": "domain_id",
    "system_scope": "system_scope",
    "user_domain": "user_domain_id",
    "project_domain": "project_domain_id",
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_FLOAT = re.compile(r"%\((\w+)\)\.(\d+)f")
# the two request lines oslo.log writes with named arguments, by their keys
NOVA_REQUEST = {"REMOTE_ADDR", "REQUEST_METHOD", "REQUEST_URI", "status", "len", "time"}
WSGI_ACCESS = {"client_ip", "request_line", "status_code", "body_length", "wall_seconds"}


def _context_fields(site: dict) -> list[str]:
    names = _PLACEHOLDER.findall(site["logging_context_format_string"])
    if "user_identity" in names:
        names += _PLACEHOLDER.findall(site["logging_user_identity_format"])
    return [n for n in names if n in CONTEXT_FIELDS]


def _instance(twin: dict) -> str | None:
    extra, ctx = twin.get("extra") or {}, twin.get("context") or {}
    instance = extra.get("instance")
    if isinstance(instance, dict):
        return instance.get("uuid")
    return extra.get("instance_uuid") or ctx.get("instance") or ctx.get("resource_uuid")


def _printed(twin: dict, key: str, value):
    """A float argument as the message's `%(key).Nf` printed it."""
    for name, digits in _FLOAT.findall(twin.get("msg") or ""):
        if name == key:
            return float(f"{value:.{int(digits)}f}")
    return float(value)


def _http(twin: dict) -> dict:
    args = twin.get("args")
    if not isinstance(args, dict):
        return {}
    out: dict = {}
    if NOVA_REQUEST <= set(args):
        out["http_client_ip"] = str(args["REMOTE_ADDR"]).split(",")[0].strip()
        out["http_method"], out["http_path"] = args["REQUEST_METHOD"], args["REQUEST_URI"]
        out["http_status"] = int(args["status"])
        if isinstance(args["len"], int):
            out["http_bytes"] = args["len"]
        if args.get("microversion") not in (None, "-"):
            out["http_microversion"] = args["microversion"]
        out["http_duration_s"] = _printed(twin, "time", args["time"])
    elif WSGI_ACCESS <= set(args):
        method, path, version = args["request_line"].split(" ")
        out["http_client_ip"] = args["client_ip"]
        out["http_method"], out["http_path"] = method, path
        out["http_version"] = version.removeprefix("HTTP/")
        out["http_status"], out["http_bytes"] = int(args["status_code"]), int(args["body_length"])
        out["http_duration_s"] = _printed(twin, "wall_seconds", args["wall_seconds"])
    return out


def oslo_event(twin: dict, site: dict, service: str, program: str) -> dict:
    """The event of one oslo.log record, from its JSONFormatter twin."""
    ctx = twin.get("context") or {}
    event: dict = {
        "timestamp": f"{twin['asctime'].replace(' ', 'T')}.{int(twin['msecs']):03d}",
        "pid": twin["process"],
        "level": twin["levelname"],
        "logger": twin["name"],
    }
    # ContextFormatter prints the context format when the record has a request id
    fmt = site["logging_default_format_string"]
    if ctx.get("request_id"):
        fmt = site["logging_context_format_string"]
        for name in _context_fields(site):
            if ctx.get(name):
                event[CONTEXT_FIELDS[name]] = ctx[name]
    if instance := _instance(twin):
        event["instance_id"] = instance
    message = twin["message"]
    if twin.get("error_summary") and "%(error_summary)s" not in fmt:
        message += f": {twin['error_summary']}"
    event["message"] = message
    if traceback := twin["traceback"]:
        # a list of lines before oslo.log 5.x's later releases, one string since
        lines = traceback if isinstance(traceback, list) else traceback.split("\n")
        event["traceback"] = "\n".join(lines)
    if twin["levelno"] == 10 and site["logging_debug_format_suffix"]:
        event["function"] = twin["funcname"]
        event["code_path"] = twin["pathname"]
        event["code_line"] = twin["lineno"]
    event.update(service=service, program=program)
    event.update(_http(twin))
    return event


def apache_event(twin: dict, service: str, program: str) -> dict:
    """The event of one Apache access line, from the JSON twin its second
    CustomLog wrote (%h, %t, %r, %>s, %O as JSON)."""
    from datetime import UTC, datetime

    when = datetime.strptime(twin["time"].strip("[]"), "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
    method, path, version = twin["request"].split(" ")
    return {
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "service": service,
        "program": program,
        "http_client_ip": twin["remote_host"],
        "http_method": method,
        "http_path": path,
        "http_version": version.removeprefix("HTTP/"),
        "http_status": twin["status"],
        "http_bytes": twin["bytes_sent"],
    }


def expected(log: Path) -> list[dict]:
    """The events `log` must give: from its JSON twin (`<program>.twin.jsonl`
    and the kind's `site.json`), or, for a documented format not yet written
    by its daemon here, the `.json` beside it."""
    twin = log.with_name(f"{log.stem}.twin.jsonl")
    service, program = log.parent.name, log.stem
    if twin.exists():
        site = json.loads((log.parents[1] / "site.json").read_text(encoding="utf-8"))
        twins = [json.loads(line) for line in twin.read_text(encoding="utf-8").splitlines() if line]
        if site.get("program") == "apache2":
            return [apache_event(t, service, program) for t in twins]
        return [oslo_event(t, site, service, program) for t in twins]
    return json.loads(log.with_suffix(".json").read_text(encoding="utf-8"))

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


def _utc(when) -> str:
    """An aware datetime as the contract writes it: UTC, milliseconds truncated, Z."""
    from datetime import UTC

    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _request(line: str) -> dict:
    method, path, version = line.split(" ")
    return {"http_method": method, "http_path": path, "http_version": version.removeprefix("HTTP/")}


def _level(word: str, levels: dict) -> str:
    """A program's level word as one of the contract's five (fields.yaml `levels`)."""
    for level, words in levels.items():
        if word.lower() == level.lower() or word.lower() in words:
            return level
    raise ValueError(f"the contract maps no level to {word!r}")


def haproxy_event(syslog: dict, httplog: dict, service: str, program: str) -> dict:
    """The event of one HAProxy request line as the host's syslog wrote it:
    the syslog layer from rsyslog's JSON of the same message, the request
    from HAProxy's own values of it (RFC 5424 structured data)."""
    from datetime import datetime

    return {
        "timestamp": _utc(datetime.fromisoformat(syslog["timereported"])),
        "pid": int(syslog["procid"]),
        "service": service,
        "program": syslog["programname"],
        **_httplog(httplog),
    }


def _httplog(httplog: dict) -> dict:
    """The request fields from HAProxy's own values of its httplog line."""
    return {
        "http_client_ip": httplog["client_ip"],
        **_request(httplog["request"]),
        "http_status": int(httplog["status"]),
        "http_bytes": int(httplog["bytes"]),
        "http_duration_s": int(httplog["t_active"]) / 1000,
    }


def haproxy_kolla_event(syslog: dict, httplog: dict, service: str) -> dict:
    """The event of one HAProxy request line in the file Kolla's fluentd
    writes (haproxy_latest.log: its JSON record, the RFC 3164 text after
    `<PRI>` as `Payload`). That header's time has no year and no
    milliseconds, so `timestamp` is HAProxy's accept date (`%tr`), the local
    time it printed, without an offset; pid and program are the syslog
    tag's, from rsyslog's JSON of the same event sent to the host's syslog."""
    from datetime import datetime

    accepted = datetime.strptime(httplog["accept_date"], "%d/%b/%Y:%H:%M:%S.%f")
    millis = f"{accepted.microsecond // 1000:03d}"
    return {
        "timestamp": accepted.strftime("%Y-%m-%dT%H:%M:%S.") + millis,
        "pid": int(syslog["procid"]),
        "service": service,
        "program": syslog["programname"],
        **_httplog(httplog),
    }


def rabbitmq_events(twin: dict, levels: dict, service: str, program: str) -> list[dict]:
    """RabbitMQ's plaintext log prints each line of a message with the
    record's header: one event per line (contract), from its JSON record."""
    from datetime import datetime

    base = {
        "timestamp": _utc(datetime.fromisoformat(twin["time"])),
        "level": _level(twin["level"], levels),
    }
    events = []
    for line in twin["msg"].split("\n"):
        event = {**base, **({"message": line} if line else {})}
        events.append({**event, "service": service, "program": program})
    return events


# MariaDB's error log, as sql/log.cc prints it (print_buffer_to_file):
# "%d-%02d-%02d %2d:%02d:%02d %lu [%s] %.*s" -- date, time, thread id, tag,
# message; a message with line breaks goes on in lines without the prefix.
_MARIADB = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}) (?P<h>[ \d]\d):(?P<m>\d{2}):(?P<s>\d{2}) \d+ \[(?P<tag>\w+)\] "
)


# mysqld_safe's own lines in the same log (its log_generic):
# `date +'%y%m%d %H:%M:%S'` mysqld_safe $*
_MYSQLD_SAFE = re.compile(
    r"^(?P<y>\d{2})(?P<mo>\d{2})(?P<d>\d{2}) (?P<hms>\d{2}:\d{2}:\d{2}) mysqld_safe "
)


def mariadb_events(text: str, levels: dict, service: str, program: str) -> list[dict]:
    """MariaDB has no second formatter for its error log (no JSON, no
    structured sink in 10.11): the records are cut where sql/log.cc's prefix
    begins a line, and its fields read by that printf layout. mysqld_safe
    (Kolla's mariadbd-safe) writes lines of its own there: each is a record,
    `program` mysqld_safe, the two-digit year of 20xx, no level."""
    events: list[dict] = []
    for line in text.splitlines():
        safe = _MYSQLD_SAFE.match(line)
        if safe:
            events.append({
                "timestamp": f"20{safe['y']}-{safe['mo']}-{safe['d']}T{safe['hms']}.000",
                "message": line[safe.end():],
                "service": service,
                "program": "mysqld_safe",
            })  # fmt: skip
            continue
        m = _MARIADB.match(line)
        if m is None and events:
            events[-1]["message"] += "\n" + line
            continue
        if m is None:
            raise ValueError(f"not a MariaDB error log line: {line[:80]!r}")
        hour = int(m["h"])
        events.append({
            "timestamp": f"{m['date']}T{hour:02d}:{m['m']}:{m['s']}.000",
            "level": _level(m["tag"], levels),
            "message": line[m.end():],
            "service": service,
            "program": program,
        })  # fmt: skip
    return events


# uwsgi 2.0's request line, as core/logging.c's uwsgi_logit_simple prints it:
# "[pid: %d|app: %d|req: %d/%llu] %.*s (%.*s) {%d vars in %d bytes} [%.*s] %.*s
# %.*s => generated %llu bytes in %llu %s%s(%.*s %d) %d headers in %llu bytes
# (%d switches on core %d)" -- pid, remote address, remote user, the request's
# start as ctime() prints it (local time), method, URI, the body's size, the
# time taken in msecs (micros with log-micros), " " or " via <what>() ", the
# protocol and the status.
_UWSGI = re.compile(
    r"^\[pid: (?P<pid>\d+)\|app: -?\d+\|req: -?\d+/\d+\] (?P<addr>\S*) \([^)]*\) "
    r"\{\d+ vars in \d+ bytes\} \[(?P<ctime>[^]]{24})\] (?P<method>\S+) (?P<uri>\S+) "
    r"=> generated (?P<size>\d+) bytes in (?P<time>\d+) (?P<unit>msecs|micros)"
    r"(?: via \S+)? \((?P<protocol>\S+) (?P<status>\d+)\) "
)


def uwsgi_events(text: str, service: str, program: str) -> list[dict]:
    """uwsgi has no second view of its request log (its log encoders see only
    the formatted line): each request line is read by the printf layout of
    core/logging.c (above); every other line uwsgi writes (its start, its
    workers' life) is a record of its own that no rule of the contract
    parses, so `unparsed` with the line as `message`."""
    from datetime import datetime

    events = []
    for line in text.splitlines():
        m = _UWSGI.match(line)
        if m is None:
            events.append({"message": line, "unparsed": True, "service": service,
                           "program": program})  # fmt: skip
            continue
        when = datetime.strptime(m["ctime"], "%a %b %d %H:%M:%S %Y")
        scale = 1000 if m["unit"] == "msecs" else 1000000
        events.append({
            "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000"),
            "pid": int(m["pid"]),
            "service": service,
            "program": program,
            "http_client_ip": m["addr"],
            "http_method": m["method"],
            "http_path": m["uri"],
            "http_version": m["protocol"].removeprefix("HTTP/"),
            "http_status": int(m["status"]),
            "http_bytes": int(m["size"]),
            "http_duration_s": int(m["time"]) / scale,
        })  # fmt: skip
    return events


# dnsmasq's log file (log.c): "%.15s %s[%d]: " -- ctime()+4 (no year), its
# tag (dnsmasq, dnsmasq-dhcp, dnsmasq-tftp...), its pid, then the message.
_DNSMASQ = re.compile(
    r"^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} (?P<tag>[^\s\[]+)\[(?P<pid>\d+)\]: "
)


def dnsmasq_events(text: str, service: str) -> list[dict]:
    """dnsmasq has one formatter (log.c, above): a line an event; it prints
    no year, so no timestamp (a collector's guess of the year is not the
    record's); `program` is its tag, as for a syslog line."""
    events = []
    for line in text.splitlines():
        m = _DNSMASQ.match(line)
        if m is None:
            raise ValueError(f"not a dnsmasq log line: {line[:80]!r}")
        events.append({"pid": int(m["pid"]), "program": m["tag"], "service": service,
                       "message": line[m.end():]})  # fmt: skip
    return events


# vlog's file pattern (lib/vlog.c's default): "%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|..."
# (%T: "(thread)" for a thread other than main; sequence numbers are per thread)
_VLOG_FILE = re.compile(
    r"^(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(?P<seq>\d+)\|[^|(]*(?:\((?P<thread>[^)]+)\))?\|"
)


def vlog_events(text: str, twin: str, levels: dict, service: str, program: str) -> list[dict]:
    """Open vSwitch / OVN: the same records vlog wrote to its console with a
    tab-separated pattern of the same values (time, sequence, thread, module,
    level, message; a line without the tabs goes on the message). vlog formats each
    destination's time itself, the console's first, so the two differ by
    the time between (a millisecond or more on a loaded machine, seen here):
    the time is the file's, read by vlog's file pattern for the same
    sequence number, and must lie at or after the twin's, within a second."""
    from datetime import datetime

    printed = {
        (m["thread"] or "main", int(m["seq"])): m["time"]
        for m in map(_VLOG_FILE.match, text.splitlines())
        if m
    }
    events: list[dict] = []
    for line in twin.splitlines():
        parts = line.split("\t", 5)
        if len(parts) < 6 or not parts[1].isdigit():
            events[-1]["message"] += "\n" + line
            continue
        when, seq, thread, module, level, message = parts
        stamp = printed[(thread, int(seq))]
        skew = datetime.fromisoformat(stamp) - datetime.fromisoformat(when)  # console first
        if not 0 <= skew.total_seconds() <= 1:
            raise ValueError(f"vlog record {seq}: file time {stamp}, console time {when}")
        events.append({"timestamp": stamp, "level": _level(level, levels), "logger": module,
                       "message": message, "service": service, "program": program})  # fmt: skip
    return events


# libvirt's file output (util/virlog.c, virLogFormatString): "%s: %llu: %s : "
# -- its own clock with the offset, the thread id, the level word -- then
# "%s:%d : " (function, line) unless the record is one of the lines libvirt
# writes to each output itself (version, hostname), then the message.
_LIBVIRT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}:\d{2}:\d{2}\.\d{3})(?P<offset>[+-]\d{4}): "
    r"(?P<thread>\d+): (?P<word>[a-z]+) : ",
    re.M,
)
# its journald output's PRIORITY (syslog's numbers) for libvirt's four levels
_LIBVIRT_PRIORITY = {"3": "ERROR", "4": "WARNING", "6": "INFO", "7": "DEBUG"}
# the function that writes libvirt's own lines at the head of each output
_LIBVIRT_HEADER = "virLogVMessage"


def libvirt_events(text: str, twins: list[dict], service: str, program: str) -> list[dict]:
    """libvirtd: the same records from its journald output (journalctl's
    JSON), in order: level, message, function and line are the journal's.
    The time and the thread id are the file's, read by virLogFormatString's
    layout (above): libvirt stamps the file with its own clock, journald the
    entry on receipt, and the journal has no thread id. Each file record must
    carry its twin's level word and message, or the two are not the same."""
    from datetime import datetime

    starts = list(_LIBVIRT.finditer(text))
    if len(starts) != len(twins):
        raise ValueError(
            f"libvirtd: {len(starts)} records in the file, {len(twins)} in the journal"
        )
    events = []
    for n, (m, twin) in enumerate(zip(starts, twins, strict=True)):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(text)
        level = _LIBVIRT_PRIORITY[twin["PRIORITY"]]
        message = twin["MESSAGE"]
        if m["word"].upper() != level or not text[m.end() : end].rstrip("\n").endswith(
            message.rstrip("\n")
        ):
            raise ValueError(f"libvirtd record {n + 1}: file and journal differ")
        when = datetime.strptime(f"{m['date']} {m['time']}{m['offset']}", "%Y-%m-%d %H:%M:%S.%f%z")
        event = {"timestamp": _utc(when), "pid": int(m["thread"]), "level": level,
                 "message": message}  # fmt: skip
        if twin.get("CODE_FUNC") and twin["CODE_FUNC"] != _LIBVIRT_HEADER:
            event.update(function=twin["CODE_FUNC"], code_line=int(twin["CODE_LINE"]))
        events.append({**event, "service": service, "program": program})
    return events


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _levels() -> dict:
    from .. import yamldata

    fields = Path(__file__).resolve().parents[3] / "interfaces/log-fields/v1/fields.yaml"
    return yamldata.loaded(fields.read_text(encoding="utf-8"))["levels"]


def expected(log: Path) -> list[dict]:
    """The events `log` must give: from its JSON twin (`<program>.twin.jsonl`
    and the kind's `site.json`), or, for a documented format not yet written
    by its daemon here, the `.json` beside it."""
    twin = log.with_name(f"{log.stem}.twin.jsonl")
    service, program = log.parent.name, log.stem
    site_file = log.parents[1] / "site.json"
    site = json.loads(site_file.read_text(encoding="utf-8")) if site_file.exists() else {}
    if site.get("program") == "mariadbd":
        return mariadb_events(log.read_text(encoding="utf-8"), _levels(), service, program)
    if site.get("program") in ("openvswitch", "ovn"):
        twin_text = log.with_name(f"{log.stem}.twin.tsv").read_text(encoding="utf-8")
        text = log.read_text(encoding="utf-8")
        return vlog_events(text, twin_text, _levels(), service, program)
    if site.get("program") == "dnsmasq":
        return dnsmasq_events(log.read_text(encoding="utf-8"), service)
    if site.get("program") == "libvirtd":
        return libvirt_events(log.read_text(encoding="utf-8"), _jsonl(twin), service, program)
    if site.get("program") == "uwsgi":
        return uwsgi_events(log.read_text(encoding="utf-8"), service, program)
    if not twin.exists():
        return json.loads(log.with_suffix(".json").read_text(encoding="utf-8"))
    twins = _jsonl(twin)
    if site.get("program") == "apache2":
        return [apache_event(t, service, program) for t in twins]
    if site.get("program") == "haproxy":
        httplog = [r["httplog@1"] for r in _jsonl(log.with_name(f"{log.stem}.sd.jsonl"))]
        if site.get("writer") == "kolla-fluentd":
            return [haproxy_kolla_event(s, h, service) for s, h in zip(twins, httplog, strict=True)]
        return [haproxy_event(s, h, service, program) for s, h in zip(twins, httplog, strict=True)]
    if site.get("program") == "rabbitmq":
        levels = _levels()
        return [e for t in twins for e in rabbitmq_events(t, levels, service, program)]
    return [oslo_event(t, site, service, program) for t in twins]

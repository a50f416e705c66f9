"""What Kolla's fluentd writes into /var/log/kolla/haproxy/haproxy_latest.log
for each syslog datagram HAProxy sends it, emulated: fluentd itself cannot
be installed here (no package in any registry this machine reaches).

Why an emulation and which part: Kolla-Ansible's HAProxy logs with
`log <syslog_server>:<syslog_udp_port> local1` (RFC 3164, no hostname) to
Kolla's own fluentd, whose config (roles/fluentd, conf/input/01-syslog,
filter/00-record_transformer, output/00-local) does exactly this to it:

1. in_syslog (`@type syslog`, UDP): the datagram must match in_syslog's
   SYSLOG_REGEXP, `/^\\<([0-9]+)\\>(.*)/`; the priority gives the tag
   `syslog.<facility>.<severity>`, the rest goes to the parser;
2. the parser is Kolla's `@type regexp`, `expression /^(?<Payload>.*)$/`: the
   whole RFC 3164 text after `<PRI>` (time, `haproxy[pid]: `, message) is
   `Payload`; `severity_key log_level` adds the severity's name and
   `source_hostname_key Hostname` the sender's name (resolved);
3. record_transformer on `syslog.local1.**` adds `programname haproxy`;
4. out_file (`path /var/log/kolla/haproxy/haproxy_latest`, the `.log`
   suffix out_file adds) with its default formatter, `out_file`, and
   `output_tag false`, `output_time false`: the record as JSON
   (`JSON.generate`), one line each.

Ruby's regex anchors are line anchors and `.` stops at a line break; Python's
`re.M` and default `.` are the same, and `re.search` finds what Ruby's
`Regexp#match` finds. tools/tests/cloud/test_kolla_fluentd.py runs these
two expressions and JSON.generate in Ruby (Onigmo) on the same datagrams.
"""

from __future__ import annotations

import json
import re

# fluentd lib/fluent/plugin/in_syslog.rb
SYSLOG_REGEXP = r"^\<([0-9]+)\>(.*)"
SEVERITY = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"]
FACILITY = {16 + n: f"local{n}" for n in range(8)}
# kolla-ansible ansible/roles/fluentd/templates/conf/input/01-syslog.conf.j2
PAYLOAD_REGEXP = r"^(?<Payload>.*)$"
# kolla-ansible's syslog_facilities: the haproxy entry's logdir and logfile
PROGRAMNAME = "haproxy"
LOGFILE = "/var/log/kolla/haproxy/haproxy_latest.log"


def _python(ruby_regexp: str) -> re.Pattern:
    """The same expression in Python's spelling of named groups."""
    return re.compile(ruby_regexp.replace("(?<", "(?P<"), re.M)


def record(datagram: str, hostname: str) -> tuple[str, dict] | None:
    """(tag, record) in_syslog and Kolla's filter make of one datagram; None
    when in_syslog drops it (no `<PRI>`, or Kolla's parser does not match)."""
    head = _python(SYSLOG_REGEXP).search(datagram)
    if head is None:
        return None
    pri, text = int(head[1]), head[2]
    parsed = _python(PAYLOAD_REGEXP).search(text)
    if parsed is None:
        return None
    facility = FACILITY.get(pri >> 3, str(pri >> 3))
    severity = SEVERITY[pri & 7]
    out = {"Payload": parsed["Payload"], "log_level": severity, "Hostname": hostname}
    tag = f"syslog.{facility}.{severity}"
    if facility == FACILITY[17]:  # Kolla's filter on syslog.<syslog_haproxy_facility>.**
        out["programname"] = PROGRAMNAME
    return tag, out


def line(datagram: str, hostname: str) -> str | None:
    """The line out_file appends to haproxy_latest.log for one datagram (its
    `out_file` formatter without time and tag: JSON.generate of the record),
    or None: dropped, or not local1 (Kolla's match is syslog.local1.**)."""
    made = record(datagram, hostname)
    if made is None or not made[0].startswith("syslog.local1."):
        return None
    return json.dumps(made[1], ensure_ascii=False, separators=(",", ":")) + "\n"

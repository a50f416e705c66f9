"""testcloud.kolla_fluentd emulates what Kolla's fluentd makes of a syslog
datagram: here the same two expressions (in_syslog's SYSLOG_REGEXP and
Kolla's Payload parser) and JSON.generate run in Ruby itself (Onigmo, the
engine fluentd runs them on) on the same datagrams, and must give the same
lines."""

import json
import shutil
import subprocess

import pytest
from testcloud import kolla_fluentd

# what HAProxy sends (RFC 3164 without a hostname), and the edges of the two
# expressions: a line break, a quote and a backslash, non-ASCII, no priority,
# another facility (not Kolla's haproxy file)
DATAGRAMS = [
    "<142>Dec  2 04:00:00 haproxy[731]: 127.0.0.1:58332 [02/Dec/2026:04:00:00.123] "
    'apache_api apache_api/apache 0/0/0/1/1 200 198 - - ---- 2/1/0/0/0 0/0 "GET /v3 HTTP/1.1"',
    "<142>Dec 12 04:00:00 haproxy[731]: a line\nand another\n",
    '<139>Dec 12 04:00:00 haproxy[731]: "GET /a\\b?c=\u00e9t\u00e9 HTTP/1.1"\t',
    "no priority here",
    "<134>Dec 12 04:00:00 haproxy[731]: local0",
]

RUBY = r"""
require "json"
syslog = Regexp.new(ARGV[0])
payload = Regexp.new(ARGV[1])
STDIN.each_line do |l|
  data = JSON.parse(l)
  m = syslog.match(data)
  p = m && payload.match(m[2])
  if p.nil? || (m[1].to_i >> 3) != 17
    puts "null"
    next
  end
  severity = %w[emerg alert crit err warn notice info debug][m[1].to_i & 7]
  record = {"Payload" => p["Payload"], "log_level" => severity, "Hostname" => "localhost",
            "programname" => "haproxy"}
  puts JSON.generate(JSON.generate(record) + "\n")
end
"""


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby (Onigmo) is not installed")
def test_the_emulation_gives_what_fluentds_expressions_give_in_ruby():
    argv = ["ruby", "-e", RUBY, kolla_fluentd.SYSLOG_REGEXP, kolla_fluentd.PAYLOAD_REGEXP]
    stdin = "".join(json.dumps(d) + "\n" for d in DATAGRAMS)
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True)
    ruby = [json.loads(line) for line in done.stdout.splitlines()]
    assert ruby == [kolla_fluentd.line(d, "localhost") for d in DATAGRAMS]
    assert ruby[1] is not None and ruby[3] is None and ruby[4] is None


def test_a_haproxy_line_keeps_its_rfc3164_header_in_payload():
    line = kolla_fluentd.line(DATAGRAMS[0], "localhost")
    record = json.loads(line)
    assert record["Payload"].startswith("Dec  2 04:00:00 haproxy[731]: 127.0.0.1:58332 ")
    assert list(record) == ["Payload", "log_level", "Hostname", "programname"]
    assert record["log_level"] == "info" and line.endswith('"}\n')

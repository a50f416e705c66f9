"""`opsbundle test` for service-checks/v1: the real suites pass, and each kind
of case fails when the bundle is broken in the way it guards against."""

from opsbundle import conformance
from servicechecks_repo import REAL_ROOT, context, copy_repo, edit

PROM, NAG, ICI = "monitoring/prometheus", "monitoring/nagios", "monitoring/icinga2"
SEN = "monitoring/sensu"


def _results(root, ref):
    return conformance.run(context(root), ["service-checks/v1"], {ref})


def _failed(results):
    return {(r.kind, r.case.split()[0]) for r in results if not r.ok}


# (what the rules say, what they said before issue 11), in the rules template
OLD_MISTAKES = [
    (
        "'} - openstack_placement_resource_reserved{' ~ r ~ '})"
        " * openstack_placement_resource_allocation_ratio{' ~ r ~ '})'",
        "'}))'",
    ),
    (
        "{% set ready = 'rabbitmq_detailed_queue_messages_ready' ~ q"
        " ~ ' and on (hostname, vhost, queue) (rabbitmq_detailed_queue_consumers' ~ q ~ ' > 0)' %}",
        "{% set ready = 'sum(rabbitmq_detailed_queue_messages_ready' ~ q ~ ')' %}",
    ),
    ('\'adminState="disabled",disabledReason=""\'', "'adminState=\"disabled\"'"),
    (
        "') == 0 or (max by (hostname) (up{job=\"' ~ j.node ~ '\"' ~ role(c.role) ~ '}) == 1"
        " unless on (hostname) max by (hostname) (' ~ unit ~ '))'",
        "') == 0'",
    ),
    (
        "'rabbitmq-up': 'up{job=\"' ~ j.rabbitmq ~ '\"} == 0',",
        "'rabbitmq-up': 'count(up{job=\"' ~ j.rabbitmq ~ '\"} == 0) > 0',",
    ),
]


class TestPromtool:
    def test_every_alert_fires_and_stays_quiet(self):
        results = _results(REAL_ROOT, PROM)
        assert not _failed(results)
        kinds = {r.kind for r in results}
        assert {"catalog coverage", "promtool: alert fires", "promtool: alert quiet"} <= kinds

    def test_wrong_condition_fails_its_unit_tests(self, tmp_path):
        root = copy_repo(tmp_path, PROM)
        edit(
            root / PROM / "files/openstack.rules.yml.j2",
            "'probe_success{job=\"' ~ j.memcached ~ '\"} == 0 or",
            "'probe_success{job=\"' ~ j.memcached ~ '\"} == 1 or",
        )
        failed = _failed(_results(root, PROM))
        assert failed == {
            ("promtool: alert fires", "memcached-up"),
            ("promtool: alert quiet", "memcached-up"),
        }

    def test_old_mistakes_fail_their_unit_tests(self, tmp_path):
        """The issue-11 bugs, put back one by one, each fail: vCPU % that
        ignores allocation_ratio and reserved, a backlog summed over every
        queue (notification queues included), disabled services counted
        with their maintenance reason, process rules without the absent
        unit branch, and alerts that drop hostname."""
        root = copy_repo(tmp_path, PROM)
        rules = root / PROM / "files/openstack.rules.yml.j2"
        for old, new in OLD_MISTAKES:
            edit(rules, old, new)
        failed = {cid for kind, cid in _failed(_results(root, PROM))}
        assert {
            "nova-hypervisor-vcpu-usage",
            "nova-hypervisor-ram-usage",
            "rabbitmq-queue-backlog",
            "nova-services-enabled",
            "nova-compute-running",
            "rabbitmq-up",
        } <= failed

    def test_alert_without_tests_fails(self, tmp_path):
        root = copy_repo(tmp_path, PROM)
        tests = root / PROM / "tests/alerts.test.yml.j2"
        edit(tests, "{% elif id == 'haproxy-backends-down' %}", "{% elif false %}")
        failed = _failed(_results(root, PROM))
        assert ("promtool: alert fires", "haproxy-backends-down") in failed
        assert ("promtool: alert quiet", "haproxy-backends-down") in failed


class TestNagiosCommands:
    def test_real_commands_pass_against_stand_ins(self):
        results = _results(REAL_ROOT, NAG)
        assert not _failed(results)
        healthy = {r.case.split()[0] for r in results if r.kind == "commands: healthy -> OK"}
        assert {"keystone-api-available", "memcached-up", "nova-compute-running"} <= healthy
        assert {"nova-services-up", "haproxy-backends-down"} <= healthy

    def test_broken_commands_are_caught(self, tmp_path):
        root = copy_repo(tmp_path, NAG)
        template = root / NAG / "files/opsbundles-openstack.cfg.j2"
        # max_down off by one, the backlog read from the wrong field
        down = '\\;0"\\; if [ "$$n" -gt $ARG3$ ]'  # HAProxy's count, not the queue count
        edit(template, down, down.replace("-gt", "-ge"))
        edit(template, "select((.consumers // 0) > 0) | {n: ", "{n: ")
        edit(template, "-e 'STAT pid' -M crit", "-e 'STAT pid'")
        failed = _failed(_results(root, NAG))
        # the backlog read from every queue counts the notification queue nobody consumes
        assert failed == {
            ("commands: failing -> WARNING/CRITICAL", "haproxy-backends-down"),
            ("commands: healthy -> OK", "rabbitmq-queue-backlog"),
            ("commands: failing -> WARNING/CRITICAL", "rabbitmq-queue-backlog"),
            ("commands: failing -> WARNING/CRITICAL", "memcached-up"),
        }

    def test_allocation_that_ignores_the_ratio_is_caught(self, tmp_path):
        """The issue-11 bug: vCPU % over the physical count passes 100 % on any
        overcommitted cloud. The stand-in placement overcommits 4:1."""
        root = copy_repo(tmp_path, NAG)
        edit(root / NAG / "files/opsbundles-openstack.cfg.j2", " * .allocation_ratio", "")
        failed = _failed(_results(root, NAG))
        assert ("commands: healthy -> OK", "nova-hypervisor-vcpu-usage") in failed

    def test_unescaped_semicolon_is_caught(self, tmp_path):
        """nagios4 cuts a command line at an unescaped `;`: so does the runner."""
        root = copy_repo(tmp_path, NAG)
        template = root / NAG / "files/opsbundles-openstack.cfg.j2"
        escaped = 'tail -n 1)"\\; exit 2\\; }\\; top=$$(printf'
        edit(template, escaped, escaped.replace("\\;", ";"))
        failed = _failed(_results(root, NAG))
        assert ("commands: healthy -> OK", "rabbitmq-queue-backlog") in failed
        assert ("commands: healthy -> OK", "haproxy-backends-down") not in failed


class TestIcinga2Commands:
    def test_real_commands_pass_against_stand_ins(self):
        results = _results(REAL_ROOT, ICI)
        assert not _failed(results)
        healthy = {r.case.split()[0] for r in results if r.kind == "commands: healthy -> OK"}
        assert {"keystone-api-available", "rabbitmq-disk-alarm", "nova-compute-running"} <= healthy

    def test_broken_commands_are_caught(self, tmp_path):
        root = copy_repo(tmp_path, ICI)
        template = root / ICI / "files/opsbundles-openstack.conf.j2"
        edit(template, 'if [ \\"$$n\\" -gt \\"$$4\\" ]', 'if [ \\"$$n\\" -ge \\"$$4\\" ]')
        edit(
            template,
            '"$os_http_port$", "-u", "$os_http_path$", "-t", "10"',
            '"$os_http_port$", "-u", "$os_http_path$", "-e", "500", "-t", "10"',
        )
        failed = _failed(_results(root, ICI))
        assert ("commands: failing -> WARNING/CRITICAL", "haproxy-backends-down") in failed
        assert ("commands: healthy -> OK", "keystone-api-available") in failed
        assert ("commands: healthy -> OK", "memcached-up") not in failed


class TestSensuCommands:
    def test_real_commands_pass_against_stand_ins(self):
        results = _results(REAL_ROOT, SEN)
        assert not _failed(results)
        healthy = {r.case.split()[0] for r in results if r.kind == "commands: healthy -> OK"}
        assert {"horizon-api-available", "rabbitmq-up", "cinder-volumes-error"} <= healthy
        assert {"rabbitmq-queue-backlog", "haproxy-backends-down"} <= healthy

    def test_thresholds_are_applied(self, tmp_path):
        root = copy_repo(tmp_path, SEN)
        template = root / SEN / "files/opsbundles-openstack.yaml.j2"
        edit(template, 'if [ "$n" -gt "$4" ]', 'if [ "$n" -ge "$4" ]')
        edit(template, 'elif [ "$1" -ge "$w" ]', 'elif [ "$1" -gt "$w" ]')
        failed = _failed(_results(root, SEN))
        assert failed == {
            ("commands: failing -> WARNING/CRITICAL", "haproxy-backends-down"),
            ("commands: failing -> WARNING/CRITICAL", "rabbitmq-queue-backlog"),
        }

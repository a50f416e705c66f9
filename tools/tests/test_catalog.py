from opsbundle import catalog
from servicechecks_repo import REAL_ROOT, context, copy_repo

ISSUE_SERVICES = "keystone nova neutron glance cinder placement heat octavia swift horizon".split()


def test_real_catalog_is_sound():
    assert catalog.problems(context(REAL_ROOT).registry) == []


def test_catalog_covers_what_the_interface_promises():
    ids = set(catalog.checks(context(REAL_ROOT).registry))
    for service in ISSUE_SERVICES:
        assert {f"{service}-api-available", f"{service}-api-response-time"} <= ids
    assert {
        "nova-services-up", "nova-services-enabled", "neutron-agents-up",
        "neutron-agents-enabled", "cinder-services-up", "cinder-services-enabled",
        "nova-hypervisor-vcpu-usage", "nova-hypervisor-ram-usage", "nova-instances-error",
        "cinder-volumes-error", "rabbitmq-up", "rabbitmq-memory-alarm", "rabbitmq-disk-alarm",
        "rabbitmq-queue-backlog", "mariadb-galera-cluster-size", "mariadb-galera-ready",
        "haproxy-backends-down", "memcached-up", "nova-compute-running",
    } <= ids  # fmt: skip


def test_broken_catalog_entries_are_named(tmp_path):
    root = copy_repo(tmp_path)
    path = root / "interfaces/service-checks/v1/catalog.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    service: memcached\n", "    service: memcache\n")
    text = text.replace("    severity: warning\n", "    severity: minor\n", 1)
    text = text.replace("        default: 2.0\n", "        default: two\n", 1)
    path.write_text(text, encoding="utf-8")
    found = "\n".join(catalog.problems(context(root).registry))
    assert "memcached-up: service 'memcache' is not in the vocabulary" in found
    assert "keystone-api-response-time: severity must be one of critical, warning" in found
    assert "threshold 'warning_seconds' needs a numeric default" in found


def test_ids_are_read_from_each_tools_own_field():
    rules = (
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n"
        "      check_id: memcached-up\n  - alert: B\n    expr: up == 0\n"
    )
    assert catalog.emitted("prometheus", [("/etc/x.rules.yml", rules)]) == {"memcached-up"}
    cfg = "define service {\n    _CHECK_ID   rabbitmq-up\n}\n# _check_id in a comment\n"
    assert catalog.emitted("nagios", [("/etc/nagios4/conf.d/a.cfg", cfg)]) == {"rabbitmq-up"}

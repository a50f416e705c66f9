"""The mini cloud (tools/testcloud: keystone, placement and glance from our
own debs) and the test cloud's daemons as the monitoring suites point their
bundles at them.

`values(cloud)` are the bundle parameters that aim the API checks and the
OpenStack credentials at the mini cloud; `inventory(cloud)` the ones every
monitoring suite sets for the test cloud's real daemons (the one
controller, the API endpoints, the daemons' ports, the monitoring users);
`Placement` puts a compute node's worth of inventory and allocations into
the real placement service, so the capacity checks compute their
percentage from what placement itself answers
(`(total - reserved) * allocation_ratio`, the issue's vCPU item).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

from testcloud.daemon import password
from testcloud.identity import Keystone

from .deployed import HOST

# service name (interfaces/vocabulary.yaml) -> the catalog type the mini cloud serves it as
SERVED = {"keystone": "identity", "placement": "placement", "glance": "image"}
MICROVERSION = "placement 1.12"  # dict allocations with project and user, no consumer generation


def values(cloud) -> dict:
    """api_endpoints and openstack_* values for the mini cloud of `cloud`."""
    services = cloud.services
    admin = services["admin"]
    return {
        "api_endpoints": {name: services["endpoints"][kind] for name, kind in SERVED.items()},
        "openstack_auth_url": admin["auth_url"],
        "openstack_username": admin["username"],
        "openstack_password": admin["password"],
        "openstack_project_name": admin["project_name"],
        "openstack_domain": admin["user_domain_name"],
    }


def inventory(cloud, *, logins: bool = True) -> dict:
    """The values that point a monitoring bundle at the real daemons of
    `cloud` (the caller has started galera, rabbitmq, memcached, haproxy and
    the mini cloud): the one controller HOST, api_endpoints (the mini cloud's
    keystone, placement and glance; horizon, a page through HAProxy to
    Apache), service_ports as the daemons have them, and a least-privilege
    monitoring user made on Galera. With `logins` (the suites whose checks
    log in themselves, not Prometheus's exporters) also the mini cloud's
    OpenStack credentials, HAProxy's stats path and a RabbitMQ management-API
    user with the monitoring tag and read permission only."""
    galera, rabbit, memcached, haproxy = (
        cloud.get(n) for n in ("galera", "rabbitmq", "memcached", "haproxy")
    )
    mini = values(cloud)
    db_secret = password()
    galera.monitor("monitoring", db_secret)
    found = {
        **(mini if logins else {}),
        "monitored_hosts": {"controller": [HOST]},
        "api_endpoints": {
            **mini["api_endpoints"],
            "horizon": haproxy.info["urls"]["apache_api"] + "/",
        },
        "service_ports": {
            "amqp": rabbit.ports["amqp"],
            "rabbitmq_management": rabbit.ports["management"],
            "mysql": galera.ports["sql"],
            "memcached": memcached.ports["memcached"],
            "haproxy_stats": haproxy.ports["stats"],
        },
    }
    if logins:
        mq_secret = password()
        user = {"password": mq_secret, "tags": "monitoring"}
        assert rabbit.api("/api/users/monitoring", "PUT", user)[0] in (201, 204)
        read_only = {"configure": "", "write": "", "read": ".*"}
        assert rabbit.api("/api/permissions/%2F/monitoring", "PUT", read_only)[0] in (201, 204)
        found.update(haproxy_stats_path="/stats", rabbitmq_username="monitoring",
                     rabbitmq_password=mq_secret)  # fmt: skip
    return {**found, "mysql_username": "monitoring", "mysql_password": db_secret}


class Placement:
    """One resource provider with VCPU and MEMORY_MB inventory in the real
    placement service, and allocations against it that a test sets."""

    def __init__(self, cloud, vcpus: int, ratio: float, ram_mb: int):
        services = cloud.services
        admin = services["admin"]
        keystone = services["endpoints"]["identity"].rsplit("/v3", 1)[0]
        self.token = Keystone(keystone, admin["username"], admin["password"]).token
        self.url = services["endpoints"]["placement"].rstrip("/")
        self.rp = str(uuid.uuid4())
        self.consumer = str(uuid.uuid4())
        self.project, self.user = str(uuid.uuid4()), str(uuid.uuid4())
        self.call("POST", "/resource_providers", {"name": f"opsbundles-{self.rp}", "uuid": self.rp})
        inventories = {
            "VCPU": {"total": vcpus, "reserved": 0, "allocation_ratio": ratio},
            "MEMORY_MB": {"total": ram_mb, "reserved": 0, "allocation_ratio": 1.0},
        }
        self.call("PUT", f"/resource_providers/{self.rp}/inventories",
                  {"resource_provider_generation": 0, "inventories": inventories})  # fmt: skip

    def call(self, method: str, path: str, body=None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "X-Auth-Token": self.token, "Content-Type": "application/json",
            "Accept": "application/json", "OpenStack-API-Version": MICROVERSION})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                text = answer.read()
        except urllib.error.HTTPError as err:
            detail = err.read()[:300]
            raise AssertionError(f"placement {method} {path}: {err.code} {detail}") from None
        return json.loads(text) if text else {}

    def allocate(self, vcpus: int, ram_mb: int = 0) -> None:
        """The consumer's allocation on our provider (none when both are 0)."""
        if not vcpus and not ram_mb:
            self.call("DELETE", f"/allocations/{self.consumer}")
            return
        resources = {k: v for k, v in (("VCPU", vcpus), ("MEMORY_MB", ram_mb)) if v}
        self.call("PUT", f"/allocations/{self.consumer}", {
            "allocations": {self.rp: {"resources": resources}},
            "project_id": self.project, "user_id": self.user})  # fmt: skip

    def remove(self) -> None:
        try:
            self.call("DELETE", f"/allocations/{self.consumer}")
        except AssertionError:
            pass  # none left
        self.call("DELETE", f"/resource_providers/{self.rp}")

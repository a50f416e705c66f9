"""Just enough of keystone's v3 API to register services in a new cloud
(projects, users, roles, services, endpoints): what `openstack user create`
and friends send, without a client start per call. The proof that the cloud
works uses Debian's python3-openstackclient instead (tools/tests/cloud).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from . import probes
from .daemon import DaemonError


def _json(data: bytes) -> dict:
    try:
        return json.loads(data or b"{}")
    except ValueError:
        return {"text": data[:500].decode(errors="replace")}


class Keystone:
    def __init__(self, url: str, user: str, password: str, project: str = "admin"):
        """`url`: keystone's root (http://host:port), not the /v3 auth_url."""
        self.url = url.rstrip("/")
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": user, "domain": {"id": "default"}, "password": password}
                    },
                },
                "scope": {"project": {"name": project, "domain": {"id": "default"}}},
            }
        }
        status, _, headers = self._call("POST", "/v3/auth/tokens", body, token=None)
        if status != 201:
            raise DaemonError(f"keystone at {self.url}: token request answered {status}")
        self.token = headers["X-Subject-Token"]

    def _call(self, method: str, path: str, body=None, token: str | None = ""):
        """(status, JSON body or {"text": ...}, headers); token None: send none."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["X-Auth-Token"] = token or self.token
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=probes.TIMEOUT * 6) as answer:
                return answer.status, _json(answer.read()), dict(answer.headers)
        except urllib.error.HTTPError as err:
            return err.code, _json(err.read()), dict(err.headers)

    def call(self, method: str, path: str, body=None, ok=(200, 201, 204)) -> dict:
        status, answer, _ = self._call(method, path, body)
        if status not in ok:
            raise DaemonError(f"keystone {method} {path}: {status} {answer}")
        return answer

    def find(self, collection: str, name: str, **query) -> dict | None:
        params = "&".join([f"name={name}", *(f"{k}={v}" for k, v in query.items())])
        found = self.call("GET", f"/v3/{collection}?{params}")[collection]
        return found[0] if found else None

    def ensure(self, collection: str, body: dict, **query) -> dict:
        singular = collection[:-1] if collection != "policies" else "policy"
        found = self.find(collection, body["name"], **query)
        if found:
            return found
        return self.call("POST", f"/v3/{collection}", {singular: body})[singular]

    def service_user(self, name: str, password: str, project: str = "service") -> None:
        """User `name` with role admin in project `project`, as the install
        guides make every service's keystone user."""
        proj = self.ensure("projects", {"name": project, "domain_id": "default"})
        user = self.ensure("users", {"name": name, "domain_id": "default", "password": password})
        self.call("PATCH", f"/v3/users/{user['id']}", {"user": {"password": password}})
        role = self.find("roles", "admin")
        self.call("PUT", f"/v3/projects/{proj['id']}/users/{user['id']}/roles/{role['id']}")

    def service(self, name: str, kind: str, url: str, region: str = "RegionOne") -> None:
        """Service `name` of type `kind` with public, internal and admin
        endpoints at `url` (replacing old ones: ports change between clouds)."""
        svc = self.ensure("services", {"name": name, "type": kind}, type=kind)
        for endpoint in self.call("GET", f"/v3/endpoints?service_id={svc['id']}")["endpoints"]:
            self.call("DELETE", f"/v3/endpoints/{endpoint['id']}")
        for interface in ("public", "internal", "admin"):
            body = {"service_id": svc["id"], "interface": interface, "url": url}
            self.call("POST", "/v3/endpoints", {"endpoint": {**body, "region_id": region}})

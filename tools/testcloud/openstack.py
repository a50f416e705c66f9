"""keystone, placement and glance from our own debs, in the cloud's node.

Each service is configured the way a site configures it (its own config file
in /etc/<project>/, on top of what the package installed), its database made
with the project's own manage command, and then started as the package's unit
says: ExecStart, User, Group, Environment, WorkingDirectory and
RuntimeDirectory read from the installed unit file (units.py), run in the
chroot (node.inside). One thing is changed, and recorded in `info`: the
uwsgi units listen on the API's documented port (5000, 8778) on every
address, and this machine is shared, so the port after `--http-socket` is
replaced by a kernel-chosen one on 127.0.0.1. glance-api takes its address
from its config (bind_host, bind_port), as sites set it.

Info: `url` (the endpoint), `unit`, `exec_start` (as started) and
`unit_exec_start` (as the unit says); keystone's also `admin` (auth_url,
username, password, project and domain names, region: what OS_* takes).
Logs: every *.log the service writes under its /var/log/<project>/,
as paths on this host.
"""

from __future__ import annotations

import configparser
import io
import os
from pathlib import Path

from . import identity, probes
from .daemon import HOST, Daemon, DaemonError, password
from .node import inside, run_inside
from .units import read as read_unit

REGION = "RegionOne"


class Packaged(Daemon):
    """A service of our packages. Options: root (the node's chroot), db (its
    SQLAlchemy URL), memcache ("host:port"), transport_url, and for all but
    keystone, keystone (its url) and admin (keystone's admin info)."""

    project = ""
    unit = ""
    socket_option = "--http-socket"
    ready_path = "/"
    start_timeout = 180.0

    @property
    def root(self) -> Path:
        return Path(self.options["root"])

    def host_path(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def run(self, argv, what: str, user: str | None = None, timeout: float = 600) -> str:
        return run_inside(self.root, argv, what, user=user, timeout=timeout)

    def configure(self, file: str, sections: dict) -> None:
        """Set options in a config file of the chroot, keeping what is there."""
        path = self.host_path(file)
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str
        parser.read_string(path.read_text() if path.exists() else "")
        for section, options in sections.items():
            if section != "DEFAULT" and not parser.has_section(section):
                parser.add_section(section)
            for key, value in options.items():
                parser.set(section, key, str(value))
        out = io.StringIO()
        parser.write(out)
        path.write_text(out.getvalue())

    def logs_found(self) -> None:
        folder = self.host_path(f"/var/log/{self.project}")
        for path in sorted(folder.glob("*.log")):
            self.logs[path.stem] = str(path)

    def launch(self) -> None:
        service = read_unit(self.host_path(f"/lib/systemd/system/{self.unit}"))
        argv = list(service.exec_start)
        if self.socket_option in argv:
            argv[argv.index(self.socket_option) + 1] = f"{HOST}:{self.ports['api']}"
        for folder in service.runtime_directories:
            path = self.host_path(f"/run/{folder}")
            path.mkdir(parents=True, exist_ok=True)
            uid, gid = (int(x) for x in self._ids(service.user, service.group))
            os.chown(path, uid, gid)
        self.info.update(unit=service.unit, exec_start=argv, unit_exec_start=service.exec_start)
        command = inside(
            self.root,
            argv,
            user=service.user,
            group=service.group,
            cwd=service.working_directory,
            env=service.environment,
        )
        self.spawn(command, self.project)

    def _ids(self, user: str | None, group: str | None) -> tuple[str, str]:
        passwd = {
            line.split(":")[0]: line.split(":")
            for line in self.host_path("/etc/passwd").read_text().splitlines()
        }
        groups = {
            line.split(":")[0]: line.split(":")[2]
            for line in self.host_path("/etc/group").read_text().splitlines()
        }
        entry = passwd.get(user or "root")
        if entry is None:
            raise DaemonError(f"{self.unit}: no user {user!r} in the node")
        return entry[2], groups[group] if group else entry[3]

    def ready(self) -> bool:
        status, _ = probes.http_request(self.info["url"] + self.ready_path)
        return status in (200, 300)

    def setup(self) -> None:
        self.logs_found()

    def authtoken(self, user: str, secret: str) -> dict:
        return {
            "www_authenticate_uri": self.options["keystone"],
            "auth_url": self.options["keystone"],
            "memcached_servers": self.options["memcache"],
            "auth_type": "password",
            "project_domain_name": "Default",
            "user_domain_name": "Default",
            "project_name": "service",
            "username": user,
            "password": secret,
            "region_name": REGION,
        }

    def register(self, name: str, kind: str, user: str, secret: str, url: str) -> None:
        admin = self.options["admin"]
        client = identity.Keystone(self.options["keystone"], admin["username"], admin["password"])
        client.service_user(user, secret)
        client.service(name, kind, url)


class Keystone(Packaged):
    kind = "keystone"
    project = "keystone"
    unit = "keystone-api.service"
    ready_path = "/v3"

    def prepare(self) -> None:
        self.port("api")
        url = f"http://{HOST}:{self.ports['api']}"
        self.info["url"] = url
        if "admin" not in self.info:
            self.info["admin"] = {
                "auth_url": f"{url}/v3",
                "username": "admin",
                "password": password(),
                "project_name": "admin",
                "user_domain_name": "Default",
                "project_domain_name": "Default",
                "region_name": REGION,
                "identity_api_version": "3",
            }
        self.info["admin"]["auth_url"] = f"{url}/v3"
        self.configure(
            "/etc/keystone/keystone.conf",
            {
                "DEFAULT": {"transport_url": self.options["transport_url"]},
                "database": {"connection": self.options["db"]},
                "cache": {
                    "enabled": "true",
                    "backend": "oslo_cache.memcache_pool",
                    "memcache_servers": self.options["memcache"],
                },
                "token": {"provider": "fernet"},
                "oslo_messaging_notifications": {"driver": "messagingv2"},
            },
        )
        if not self.info.get("bootstrapped"):
            self.run(["keystone-manage", "db_sync"], "keystone-manage db_sync", user="keystone")
            for step in ("fernet_setup", "credential_setup"):
                argv = ["keystone-manage", step, "--keystone-user", "keystone"]
                self.run([*argv, "--keystone-group", "keystone"], f"keystone-manage {step}")
        admin = self.info["admin"]
        argv = ["keystone-manage", "bootstrap", "--bootstrap-password", admin["password"]]
        for interface in ("admin", "internal", "public"):
            argv += [f"--bootstrap-{interface}-url", f"{url}/v3/"]
        argv += ["--bootstrap-region-id", REGION]
        self.run(argv, "keystone-manage bootstrap", user="keystone")
        self.info["bootstrapped"] = True


class Placement(Packaged):
    kind = "placement"
    project = "placement"
    unit = "placement-api.service"

    def prepare(self) -> None:
        self.port("api")
        self.info["url"] = f"http://{HOST}:{self.ports['api']}"
        self.info.setdefault("password", password())
        self.configure(
            "/etc/placement/placement.conf",
            {
                "placement_database": {"connection": self.options["db"]},
                "api": {"auth_strategy": "keystone"},
                "keystone_authtoken": self.authtoken("placement", self.info["password"]),
            },
        )
        self.run(["placement-manage", "db", "sync"], "placement-manage db sync", user="placement")
        self.register("placement", "placement", "placement", self.info["password"],
                      self.info["url"])  # fmt: skip


class Glance(Packaged):
    kind = "glance"
    project = "glance"
    unit = "glance-api.service"

    def prepare(self) -> None:
        self.port("api")
        self.info["url"] = f"http://{HOST}:{self.ports['api']}"
        self.info.setdefault("password", password())
        self.configure(
            "/etc/glance/glance-api.conf",
            {
                "DEFAULT": {
                    "bind_host": HOST,
                    "bind_port": self.ports["api"],
                    "workers": 1,
                    "transport_url": self.options["transport_url"],
                },
                "database": {"connection": self.options["db"]},
                "keystone_authtoken": self.authtoken("glance", self.info["password"]),
                "paste_deploy": {"flavor": "keystone"},
                "glance_store": {
                    "stores": "file,http",
                    "default_store": "file",
                    "filesystem_store_datadir": "/var/lib/glance/images/",
                },
                "oslo_messaging_notifications": {"driver": "messagingv2"},
            },
        )
        self.run(["glance-manage", "db_sync"], "glance-manage db_sync", user="glance")
        self.register("glance", "image", "glance", self.info["password"], self.info["url"])

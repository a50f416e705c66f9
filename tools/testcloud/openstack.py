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

oslo.log's JSON twin: the service logs through a `log_config_append` file
(twin_logging) with two handlers on the same records, oslo.log's own
ContextFormatter into `<program>.log` (the file the service writes without
it, in the same format: the site's logging options as oslo.config reads
them) and oslo.log's JSONFormatter into `<program>.twin.jsonl` (logs
`<program>.twin`). The options in effect are in info["oslo_log"]; the
log-fields corpus takes its oracle from them (interfaces/log-fields/v1).
The manage commands run without it (they would log into the service's files).
"""

from __future__ import annotations

import configparser
import io
import json
import os
import subprocess
from pathlib import Path

from . import identity, probes
from .daemon import HOST, Daemon, DaemonError, password
from .node import inside, run_inside
from .units import read as read_unit

REGION = "RegionOne"
# The logging options in effect for a service's config file, read by the
# chroot's own oslo.config and oslo.log (the site's values, else its defaults).
_LOG_OPTIONS = """
import json, sys
from oslo_config import cfg
from oslo_log import log
conf = cfg.ConfigOpts()
log.register_options(conf)
conf([], project=sys.argv[1], default_config_files=sys.argv[2:])
names = sys.stdin.read().split()
print(json.dumps({name: getattr(conf, name) for name in names}))
"""
LOG_OPTIONS = (
    "debug", "default_log_levels", "log_date_format", "logging_context_format_string",
    "logging_default_format_string", "logging_user_identity_format",
    "logging_debug_format_suffix", "logging_exception_prefix", "instance_format",
    "instance_uuid_format",
)  # fmt: skip
TWIN_CONFIG = "/etc/{project}/logging-twin.conf"


class Packaged(Daemon):
    """A service of our packages. Options: root (the node's chroot), db (its
    SQLAlchemy URL), memcache ("host:port"), transport_url, and for all but
    keystone, keystone (its url) and admin (keystone's admin info)."""

    project = ""
    unit = ""
    config_file = ""  # the service's own, which sets log_config_append
    program = ""  # the log oslo.log names after the program without log_config_append
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
        """Set options in a config file of the chroot, keeping what is there
        (a value None removes the option)."""
        path = self.host_path(file)
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str
        parser.read_string(path.read_text() if path.exists() else "")
        for section, options in sections.items():
            if section != "DEFAULT" and not parser.has_section(section):
                parser.add_section(section)
            for key, value in options.items():
                if value is None:
                    parser.remove_option(section, key)
                else:
                    parser.set(section, key, str(value))
        out = io.StringIO()
        parser.write(out)
        path.write_text(out.getvalue())

    def logs_found(self) -> None:
        folder = self.host_path(f"/var/log/{self.project}")
        for path in sorted([*folder.glob("*.log"), *folder.glob("*.twin.jsonl")]):
            self.logs[path.name.removesuffix(".jsonl").removesuffix(".log")] = str(path)

    def log_options(self) -> dict:
        argv = ["python3", "-c", _LOG_OPTIONS, self.project, self.config_file]
        command = inside(self.root, argv)
        done = subprocess.run(command, input=" ".join(LOG_OPTIONS), capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip
        if done.returncode != 0:
            raise DaemonError(f"{self.project}: reading its logging options: {done.stderr[-2000:]}")
        return json.loads(done.stdout)

    def plain_logging(self) -> None:
        """Before the manage commands: the service's config without the twin."""
        self.configure(self.config_file, {"DEFAULT": {"log_config_append": None}})

    def prologue(self) -> str:
        """What every service's prepare begins with: its config without the
        twin (plain_logging), its API port, and its endpoint (info["url"],
        returned)."""
        self.plain_logging()
        self.port("api")
        self.info["url"] = f"http://{HOST}:{self.ports['api']}"
        return self.info["url"]

    def twin_logging(self) -> None:
        """The service's records twice: oslo.log's ContextFormatter into the
        file it writes anyway, its JSONFormatter beside it (see the module's
        docstring). Logger levels as `default_log_levels` says (oslo.log
        ignores it with log_config_append)."""
        self.plain_logging()
        opts = self.log_options()
        self.info["oslo_log"] = opts
        folder = f"/var/log/{self.project}"
        loggers = [item.split("=", 1) for item in opts["default_log_levels"]]
        out = io.StringIO()
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str
        keys = [f"l{n}" for n in range(len(loggers))]
        parser["loggers"] = {"keys": ",".join(["root", *keys])}
        parser["handlers"] = {"keys": "text,json"}
        parser["formatters"] = {"keys": "context,json"}
        parser["logger_root"] = {"level": "DEBUG" if opts["debug"] else "INFO",
                                 "handlers": "text,json"}  # fmt: skip
        for key, (name, level) in zip(keys, loggers, strict=True):
            parser[f"logger_{key}"] = {"level": level, "qualname": name, "handlers": ""}
        for handler, (formatter, path) in {
            "text": ("context", f"{folder}/{self.program}.log"),
            "json": ("json", f"{folder}/{self.program}.twin.jsonl"),
        }.items():
            parser[f"handler_{handler}"] = {
                "class": "logging.handlers.WatchedFileHandler",
                "args": repr((path,)),
                "formatter": formatter,
            }
        for formatter, cls in (("context", "ContextFormatter"), ("json", "JSONFormatter")):
            parser[f"formatter_{formatter}"] = {
                "class": f"oslo_log.formatters.{cls}",
                "datefmt": opts["log_date_format"],
            }
        parser.write(out)
        config = TWIN_CONFIG.format(project=self.project)
        self.host_path(config).write_text(out.getvalue())
        self.host_path(config).chmod(0o644)
        self.configure(self.config_file, {"DEFAULT": {"log_config_append": config}})

    def launch(self) -> None:
        self.twin_logging()
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
    config_file = "/etc/keystone/keystone.conf"
    program = "keystone-wsgi-public"
    ready_path = "/v3"

    def prepare(self) -> None:
        url = self.prologue()
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
    config_file = "/etc/placement/placement.conf"
    program = "placement-api"

    def prepare(self) -> None:
        self.prologue()
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
    config_file = "/etc/glance/glance-api.conf"
    program = "glance-api"

    def prepare(self) -> None:
        self.prologue()
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

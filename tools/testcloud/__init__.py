"""testcloud: real Debian daemons on 127.0.0.1 for the tests, one module each.

    daemon.py     the base: temp data dir, kernel-chosen ports, readiness by a
                  real signal, logs declared by name, stop by PID (TERM, wait,
                  KILL, then the process group), a record for the state file
    probes.py     the readiness signals (socket accepts, HTTP status)
    mariadb.py    MariaDB 10.11         rabbitmq.py   RabbitMQ 3.10 (+management, prometheus)
    memcached.py  memcached             haproxy.py    HAProxy 2.6 (+exporter, JSON twin)
    apache.py     Apache + mod_wsgi     uwsgi.py      uwsgi + python3 plugin
    debs.py       our own debs of keystone, placement, glance (Zed, what Debian 12
                  can satisfy), built by `opsbundle build` from PyPI, cached by content
    node.py       the Debian 12 mmdebstrap chroot they are installed in by apt
                  (base cached by package list); `inside()` runs a command there
    units.py      a packaged systemd unit read as systemd would start it
    kolla_fluentd.py  what Kolla's fluentd writes of a syslog datagram (emulated:
                  fluentd is not installable here)
    openstack.py  keystone, placement, glance: configured as a site would,
                  started as their units say, registered (identity.py)
    cloud.py      composes them (SERVICES: what each needs, how it is built),
                  starts on demand, in parallel, recorded in the state file
    state.py      the state file (<dir>/state.json) and its lock
    pytest_plugin.py  the session fixture `testcloud` and the marker `cloud`
    __main__.py   python -m testcloud up|status|down --state DIR [daemon ...]

In a test: `testcloud.get("haproxy")` gives a started daemon with `.ports`,
`.logs` (name -> file), `.info` (urls, users, passwords) and its own helpers
(`MariaDB.sql`, `RabbitMQ.api`/`ctl`, `Memcached.stats`); `testcloud.up(
["openstack"])` starts keystone, placement and glance from our debs, and
`testcloud.services` then holds their endpoints, admin credentials (OS_*
names) and logs (tests doing so are marked `openstack`: `nox -s cloud`).
Outside pytest, or to share one cloud between suites, `python -m testcloud up --state DIR` and
OPSBUNDLES_TESTCLOUD=DIR.
"""

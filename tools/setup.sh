#!/usr/bin/env bash
# Set up a fresh Debian 12 machine (Python 3.11) for opsbundles:
#   - the real engines the native checks run (rsyslogd ...), from Debian's archive
#   - .venv with opsbundle installed (editable) and nox
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the engines behind `validate --require-native` and the log
# parsers (rsyslogd; lognormalizer for mmnormalize rulebases; ruby for fluentd's
# Onigmo; jruby + joni for logstash's Joni), and venv/git.
PACKAGES=(rsyslog rsyslog-gnutls liblognorm-utils ruby jruby libjruby-joni-java git python3-venv)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3-venv only matters for Debian's own python3; a pyenv/official build has venv.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing=("${missing[@]/python3-venv}")
fi
missing=(${missing[@]+"${missing[@]}"})
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
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]' nox
echo "setup: ready (.venv/bin/opsbundle, .venv/bin/nox)"

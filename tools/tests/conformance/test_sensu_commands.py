"""The sensu runner reads the backend's environment file as systemd's
EnvironmentFile= does: a "..." value by the POSIX shell's double-quote rules.
The oracle is /bin/sh itself reading the same line."""

import subprocess

import pytest
from opsbundle.conformance.sensu_commands import _env_file

VALUES = [
    "plain",
    'with "quotes"',
    "back\\slash",
    "dollar $HOME",
    "tick `id`",
    "sp ace",
    "semi;colon",
]


@pytest.mark.parametrize("value", VALUES)
def test_env_values_read_as_the_shell_reads_them(tmp_path, value):
    quoted = '"' + "".join("\\" + c if c in '\\"`$' else c for c in value) + '"'
    env = tmp_path / "secrets.env"
    env.write_text(f"OPSBUNDLES_X={quoted}\n", encoding="utf-8")
    shell = subprocess.run(["/bin/sh", "-c", '. "$1"; printf %s "$OPSBUNDLES_X"', "sh", str(env)],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert shell == value
    assert _env_file(env.read_text(encoding="utf-8"))["OPSBUNDLES_X"] == value

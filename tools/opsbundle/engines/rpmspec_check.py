"""Parse RPM spec files with rpm's own spec parser, the library behind
`rpmspec -P` (python3-rpm), every spec of a validate run in one process.

Run by Debian's /usr/bin/python3 (where python3-rpm lives), not by
opsbundle's interpreter, and imports nothing of opsbundle; -I keeps this
folder (whose rpm.py is the engine) off sys.path:
    /usr/bin/python3 -I rpmspec_check.py SPEC...
prints one JSON line per spec, in order: {"ok": bool, "log": what rpm printed}.
The macros are reset before each spec, as rpmbuild does between specs, so no
%global of one spec leaks into the next.
"""

import json
import sys
import tempfile

import rpm


def main(paths):
    for path in paths:
        rpm.reloadConfig()
        with tempfile.TemporaryFile("w+") as log:
            rpm.setLogFile(log)
            try:
                rpm.spec(path, rpm.RPMSPEC_ANYARCH | rpm.RPMSPEC_FORCE)
                ok = True
            except ValueError:
                ok = False
            rpm.setLogFile(sys.stderr)
            log.seek(0)
            text = log.read()
        print(json.dumps({"ok": ok, "log": text}), flush=False)


if __name__ == "__main__":
    main(sys.argv[1:])

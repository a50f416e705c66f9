"""One conformance job, its results printed as one JSON list: what
isolated.py runs inside a PID namespace of its own.

    python -m opsbundle.conformance ROOT INTERFACE BUNDLE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..checks import Context
from . import SUITES


def main(argv: list[str]) -> int:
    root, interface, bundle = Path(argv[0]), argv[1], argv[2]
    ctx = Context.for_repo(root)
    results = SUITES[interface].run(ctx, [ctx.bundle(bundle)])
    print(json.dumps([[r.bundle, r.kind, r.case, r.ok, r.detail] for r in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The log-fields/v1 corpus by source: files and oracle events of each.

    python interfaces/log-fields/v1/conformance/count.py

An event is one case of the suite for each implementation, so the total is
what `opsbundle test --interface log-fields/v1` passes per implementation;
a `journald-*` source's cases are run on the implementations that read the
journal only (rsyslog and fluentd), the rest on every one.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def by_source(root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """source -> (log files, oracle events)."""
    from opsbundle.conformance.log_fields import corpus, samples
    from opsbundle.conformance.oracle import expected

    files, events = Counter(), Counter()
    for _, log in samples(root, journal_too=True):
        source = log.relative_to(corpus(root)).parts[0]
        files[source] += 1
        events[source] += len(expected(log))
    return {source: (files[source], events[source]) for source in sorted(files)}


def main() -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    counts = by_source()
    for source, (files, events) in counts.items():
        print(f"{source:22} {files:3} files {events:5} events")
    print(f"{'total':22} {sum(f for f, _ in counts.values()):3} files "
          f"{sum(e for _, e in counts.values()):5} events")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

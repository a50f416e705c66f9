"""How a long run says how far it is, on stderr (stdout stays the report, so
`--format json` remains one document): rich's progress bar on a terminal, or
plain lines in a CI log. The lines are the same either way."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int, label: str, stream=None):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self._bar = None
        if self.stream.isatty():
            try:
                from rich.console import Console
                from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
                from rich.progress import Progress as Bar
            except ImportError:  # rich is a dependency, but a bare checkout may lack it
                return
            self._bar = Bar(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)

    def step(self, line: str | None = None, advance: int = 1) -> None:
        self.done += advance
        if self._bar is not None:
            if line:
                self._bar.console.print(line, markup=False, highlight=False)
            self._bar.update(self._task, completed=self.done)
        elif line:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

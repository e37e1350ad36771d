"""A progress bar on stderr for long runs (an exercise set): one line redrawn in place, and
nothing at all when stderr is not a terminal (a log, a pipe, a test)."""

from __future__ import annotations

from typing import TextIO

WIDTH = 24  # characters of the bar


class Progress:
    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.done = max(total, 1), stream, 0
        self.shown = stream.isatty()

    def step(self, what: str, count: int = 1) -> None:
        """`count` more units done; `what` is being worked on now."""
        self.done = min(self.total, self.done + count)
        if self.shown:
            filled = WIDTH * self.done // self.total
            bar = "#" * filled + "." * (WIDTH - filled)
            self.stream.write(f"\rderive: [{bar}] {self.done}/{self.total} {what:<24}")
            self.stream.flush()

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()

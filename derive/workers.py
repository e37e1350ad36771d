"""The worker processes of a run: one owner (a Workers), a process pool per lane of work.

Importing PyTorch takes a second, WeasyPrint half a second, matplotlib a third; verifying,
rendering a PDF and drawing a chart take about as long again. Each runs in a lane of worker
processes (concurrent.futures.ProcessPoolExecutor, forked), while this process typesets. The
command line starts its lanes first thing, before it imports SymPy, so the workers' imports
overlap its own; a lane nobody started begins at its first task.

A worker ends with the run's process however that ends: Ctrl-C, an error, or `kill -9`,
which no cleanup code survives. On Linux the kernel sends the worker SIGKILL when its parent
dies (PR_SET_PDEATHSIG); elsewhere the worker watches its parent. Ctrl-C reaches the whole
process group: workers ignore it, and the owner ends them.

In-process work (`Workers(inline=True)`) is a setting, for a caller that wants no processes;
where the system has no fork, it is the only way.
"""

from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from derive.errors import BackgroundError

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCH_SECONDS = 0.2  # how often a worker without PR_SET_PDEATHSIG looks for its parent


@dataclass(frozen=True)
class Lane:
    """A kind of work and how its workers start: `nice` yields the processor to work needed
    sooner; `prepare` ("module:function") runs once in each new worker, e.g. an import."""

    name: str
    nice: int = 0
    prepare: str = ""


VERIFY = Lane("verify", 0, "derive.workers:import_torch")  # the sheet waits for it
PDF = Lane("pdf", 5, "derive.typeset.pdf:import_weasyprint")
FONTS = Lane("fonts", 10)  # only the HTML file waits for its fonts
CHARTS = Lane("charts", 5, "derive.typeset.charts:import_pyplot")
MATH = Lane("math", 0)  # the second half of a big document's formulas


def import_torch() -> None:
    import torch  # noqa: F401 - imported once per worker, before its first task


class Workers:
    """The run's lanes, each a pool started on first use (or by start()). close() ends every
    worker at once: call it when every answer wanted has been read."""

    def __init__(self, inline: bool = False) -> None:
        self.inline = inline or "fork" not in multiprocessing.get_all_start_methods()
        self._pools: dict[Lane, Executor] = {}
        self._parent = os.getpid()
        # a run that ends without close() (a notebook's sheet) ends its workers when dropped
        self._finalizer = weakref.finalize(self, _end, self._pools)

    @property
    def lanes(self) -> list[Lane]:
        """The lanes started (and not closed)."""
        return list(self._pools)

    def start(self, lane: Lane, count: int = 1) -> None:
        """Start `count` workers for `lane` now (at most once): their `prepare` runs while
        this process goes on."""
        if lane in self._pools:
            return
        if self.inline:
            self._pools[lane] = _Here()
            return
        pool = ProcessPoolExecutor(
            max(1, count),
            mp_context=multiprocessing.get_context("fork"),
            initializer=_begin,
            initargs=(self._parent, lane),
        )
        self._pools[lane] = pool
        # the first task forks the workers: Ctrl-C in the middle of fork would raise in
        # Python's at-fork hooks, which swallow it, so hold it back until the fork is done
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pool.submit(int)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def submit(self, lane: Lane, work: Callable[..., T], *args: Any) -> Answer[T]:
        """Start work(*args) on the lane's first free worker (arguments and answer are
        pickled); calling the returned Answer waits for it."""
        self.start(lane)
        return Answer(self._pools[lane].submit(work, *args))

    def close(self) -> None:
        """End every worker now: no answer is waited for any more (or none is left)."""
        _end(self._pools)
        self._pools.clear()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Answer(Generic[T]):
    """A task's answer, to come: call it to wait for it (it raises what the task raised)."""

    def __init__(self, future: Future[T]) -> None:
        self._future = future

    def ready(self) -> bool:
        return self._future.done()

    def __call__(self) -> T:
        try:
            return self._future.result()
        except BrokenProcessPool:  # a worker died: killed, or out of memory
            raise BackgroundError(
                "a helper process ended without an answer; was it killed, or out of memory?"
            ) from None


class _Here(Executor):
    """A lane without processes: each task runs at once, in this process."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # raised again where the answer is wanted
            future.set_exception(exc)
        return future


def _end(pools: dict[Lane, Executor]) -> None:
    """Kill the pools' workers (a killed worker's lane is done: nothing waits on it)."""
    for pool in pools.values():
        processes = dict(getattr(pool, "_processes", None) or {})
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes.values():
            process.kill()
        for process in processes.values():
            process.join()


def _begin(parent: int, lane: Lane) -> None:
    """In each new worker, before its first task."""
    _end_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the owner answers Ctrl-C and ends us
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    os.nice(lane.nice)
    if lane.prepare:
        module, function = lane.prepare.split(":")
        getattr(importlib.import_module(module), function)()


def _end_with_parent(parent: int) -> None:
    """Die when the process `parent` dies."""
    if _parent_death_signal(signal.SIGKILL):
        # the parent may have died between fork and prctl: then no signal will come
        if os.getppid() != parent:
            os._exit(1)
        return
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()


def _parent_death_signal(signum: int) -> bool:
    """Ask Linux to send `signum` when the parent dies; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        result = libc.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signum), 0, 0, 0)
    except (OSError, AttributeError):
        return False
    return result == 0


def _watch(parent: int) -> None:
    """Poll for the parent: once it is gone, the worker is re-parented and getppid changes."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)

"""Run work in a second process while the sheet is typeset.

Importing PyTorch for the verification takes about a second and cutting the fonts down
another half; typesetting the formulas takes longer than both. On a machine with two cores
they overlap. Nothing is written until the verification has passed.

A helper process ends with its parent, however the parent ends: Ctrl-C, an error, or
`kill -9`, which no cleanup code in the parent survives. On Linux the kernel sends the helper
SIGKILL when its parent dies (PR_SET_PDEATHSIG); elsewhere the helper watches its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from derive.errors import BackgroundError, DeriveError

T = TypeVar("T")
Q = TypeVar("Q")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_DONE = "derive: no more requests"
WATCH_SECONDS = 0.2  # how often a helper without PR_SET_PDEATHSIG looks for its parent


def in_background(work: Callable[[], T], nice: int = 0) -> Callable[[], T]:
    """Start work() in a forked process; the returned function waits and returns or raises.
    A `nice` child yields the processor to work that is needed sooner. Call it from the main
    thread: Linux ties the helper's life to the thread that forked it."""
    service: Service[None, T] = Service(lambda: None, lambda _: work(), nice)
    answer = service.ask(None)
    service.close()
    return answer


class Service(Generic[Q, T]):
    """A helper process that prepares once (an import that takes half a second), then answers
    requests in order: serve(request) for each ask(request), while this process goes on.
    Where fork is missing, or unsafe (once torch's threads exist), the work runs here.

    With `copies`, that many more helpers (in `self.copies`, each a Service) are forked from
    this one once it has prepared: the import is paid once, not once per helper."""

    def __init__(
        self,
        prepare: Callable[[], None],
        serve: Callable[[Q], T],
        nice: int = 0,
        copies: int = 0,
    ):
        self.serve = serve
        self.copies: list[Service[Q, T]] = []
        self.inline = "fork" not in multiprocessing.get_all_start_methods() or (
            "torch" in sys.modules
        )
        if self.inline:
            prepare()
            self.copies = [Service(lambda: None, serve) for _ in range(copies)]
            return
        context = multiprocessing.get_context("fork")
        pipes = [context.Pipe() for _ in range(1 + copies)]
        self.connection, theirs = pipes[0]
        parent = os.getpid()

        def run() -> None:
            _end_with_parent(parent)
            # Ctrl-C reaches the whole process group; the parent answers it and ends this one
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            for ours, _ in pipes:  # else a dead parent's full pipe could block us forever
                ours.close()
            os.nice(nice)
            prepare()
            forked = []
            for k, (_, copy) in enumerate(pipes[1:], start=1):
                pid = os.fork()
                if pid == 0:  # a copy: it serves its own pipe alone
                    _end_with_parent(os.getppid())
                    for j, (_, other) in enumerate(pipes):
                        if j != k:
                            other.close()
                    _serve(copy, serve)
                    os._exit(0)
                forked.append(pid)
                copy.close()
            _serve(theirs, serve)
            for pid in forked:  # a copy dies with this process: let it finish first
                os.waitpid(pid, 0)

        self.child: multiprocessing.process.BaseProcess | _Copy = context.Process(
            target=run, daemon=True
        )
        # Ctrl-C in the middle of fork would raise in Python's at-fork hooks, which swallow
        # it: hold it back until the fork is done
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.child.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for _, child_end in pipes:
            child_end.close()
        self.copies = [Service._copy(serve, ours) for ours, _ in pipes[1:]]

    @classmethod
    def _copy(cls, serve: Callable[[Q], T], connection: Connection) -> Service[Q, T]:
        """The parent's side of a copy forked by the first helper."""
        service = cls.__new__(cls)
        service.serve, service.copies, service.inline = serve, [], False
        service.connection, service.child = connection, _Copy(connection)
        return service

    def ask(self, request: Q) -> Callable[[], T]:
        """Send a request now; the returned function waits for its answer (answers come in
        the order asked) and returns it or raises what the helper raised."""
        if self.inline:
            result = self.serve(request)
            return lambda: result
        with contextlib.suppress(OSError):  # already gone: its answer says why
            self.connection.send(request)
        return self._answer

    def close(self) -> None:
        """No more requests: the helper ends once it has answered the last."""
        if not self.inline:
            with contextlib.suppress(OSError):  # already gone: its answer says why
                self.connection.send(_DONE)

    def _answer(self) -> T:
        try:
            kind, value = self.connection.recv()
        except (EOFError, OSError):  # the helper died: a closed or reset pipe
            self.child.join()
            raise BackgroundError(
                f"a helper process ended without an answer (exit code {self.child.exitcode}); "
                "was it killed, or out of memory?"
            ) from None
        except BaseException:  # Ctrl-C while waiting: the answer is no longer wanted
            self.child.kill()
            self.child.join()
            raise
        if kind == "ok":
            return value
        if kind == "error":
            error_type, args = value
            raise error_type(*args)
        raise RuntimeError(f"the background process failed: {value}")


def _serve(connection: Connection, serve: Callable[[Any], Any]) -> None:
    """A helper's loop: answer each request on `connection` until told to stop or orphaned."""
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):  # the parent is gone, or done with this service
            return
        if request == _DONE:
            return
        try:
            answer = ("ok", serve(request))
        except DeriveError as exc:
            answer = ("error", (type(exc), exc.args))
        except BaseException as exc:  # reported to the parent, which raises it
            answer = ("crash", repr(exc))
        try:
            connection.send(answer)
        except OSError:  # the parent no longer wants it (it is ending): nothing to say
            return


class _Copy:
    """Stands for a copy's process, which is not this process's child: it ends when its pipe
    closes, or with the helper that forked it."""

    exitcode = None

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def join(self, timeout: float | None = None) -> None:
        pass

    def kill(self) -> None:
        self._connection.close()


def _end_with_parent(parent: int) -> None:
    """In the helper, right after fork: die when the process `parent` dies."""
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
    """Poll for the parent: once it is gone, the helper is re-parented and getppid changes."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)

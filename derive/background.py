"""Run work in a second process while the sheet is typeset.

Importing PyTorch for the verification takes about a second and cutting the fonts down
another half; typesetting the formulas takes longer than both. On a machine with two cores
they overlap. Nothing is written until the verification has passed.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import TypeVar

from derive.errors import DeriveError

T = TypeVar("T")


def in_background(work: Callable[[], T], nice: int = 0) -> Callable[[], T]:
    """Start work() in a forked process; the returned function waits and returns or raises.
    A `nice` child yields the processor to work that is needed sooner."""
    # fork shares the parent's SymPy objects without pickling; it is unsafe once torch's
    # threads exist, and missing on some systems: then work runs here and now
    if "fork" not in multiprocessing.get_all_start_methods() or "torch" in sys.modules:
        result = work()
        return lambda: result
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def run() -> None:
        try:
            os.nice(nice)
            send.send(("ok", work()))
        except DeriveError as exc:
            send.send(("error", (type(exc), exc.args)))
        except BaseException as exc:  # reported to the parent, which raises it
            send.send(("crash", repr(exc)))

    child = context.Process(target=run, daemon=True)
    child.start()
    send.close()

    def wait() -> T:
        try:
            kind, value = receive.recv()
        except EOFError:
            raise RuntimeError("the background process ended without an answer") from None
        finally:
            child.join()
        if kind == "ok":
            return value
        if kind == "error":
            error_type, args = value
            raise error_type(*args)
        raise RuntimeError(f"the background process failed: {value}")

    return wait

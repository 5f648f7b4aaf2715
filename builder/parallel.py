"""Run the per-item stages on every core: a fork-join map.

Workers are forked, so they inherit the loaded tools (OpenCC, the segmenter,
the Jinja environment) and the inputs without pickling them; only results
come back through a pipe. Where fork is not available, or the work is small,
everything runs in this process. The stages given here are pure functions of
their item, so the executor can be swapped (a process pool, a cluster) without
touching them.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
MIN_PER_WORKER = 64


def workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def fork_map(func: Callable[[T], R], items: Sequence[T], jobs: int | None = None,
             min_per_worker: int = MIN_PER_WORKER) -> list[R]:
    """[func(x) for x in items], in order, split over `jobs` forked workers."""
    jobs = min(jobs or workers(), max(1, len(items) // min_per_worker))
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [func(item) for item in items]
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for share in range(jobs):
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(func, items, share, jobs, writer), daemon=True)
        process.start()
        writer.close()
        pipes.append(reader)
        processes.append(process)
    shares: list[list[R]] = []
    failure: BaseException | None = None
    for reader, process in zip(pipes, processes, strict=True):
        try:
            status, payload = pickle.loads(reader.recv_bytes())
        except EOFError:
            status, payload = "crash", f"worker exited with code {process.exitcode}"
        process.join()
        if status == "ok":
            shares.append(payload)
        elif failure is None:
            failure = payload if isinstance(payload, BaseException) else RuntimeError(payload)
    if failure is not None:
        raise failure
    results: list[R] = [None] * len(items)  # type: ignore[list-item]
    for share, values in enumerate(shares):
        results[share::jobs] = values
    return results


def _work(func, items, share, jobs, writer) -> None:
    try:
        payload = ("ok", [func(item) for item in items[share::jobs]])
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as error:  # sent back and raised in the parent
        try:
            data = pickle.dumps(("error", error))
        except Exception:
            data = pickle.dumps(("error", RuntimeError(traceback.format_exc())))
    writer.send_bytes(data)
    writer.close()
    os._exit(0)  # skip the inherited atexit handlers and buffers of the parent


def run_all(tasks: Sequence[Callable[[], R]]) -> list[R]:
    """Run independent tasks side by side, one forked worker each; their results in order."""
    return fork_map(_call, tasks, jobs=len(tasks), min_per_worker=1)


def _call(task: Callable[[], R]) -> R:
    return task()

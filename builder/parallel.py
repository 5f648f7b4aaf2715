"""Run the per-item stages on every core: a fork-join map.

Workers are forked, so they inherit the loaded tools (OpenCC, the segmenter,
the Jinja environment) and the inputs without pickling them; only results
come back through a pipe. Where fork is not available, or the work is small,
everything runs in this process. The stages given here are pure functions of
their item, so the executor can be swapped (a process pool, a cluster) without
touching them.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import wait
from typing import Protocol, TypeVar

from .errors import BuildError

_PR_SET_PDEATHSIG = 1
T = TypeVar("T")
R = TypeVar("R")
MIN_PER_WORKER = 64
Report = Callable[[int], None]   # told how many items are done so far


class Counter:
    """A count shared with forked workers, for progress bars."""

    def __init__(self) -> None:
        self._value = multiprocessing.get_context("fork").Value("q", 0) if _can_fork() else None
        self._local = 0

    def tick(self) -> None:
        if self._value is None:
            self._local += 1
            return
        with self._value.get_lock():
            self._value.value += 1

    @property
    def value(self) -> int:
        return self._value.value if self._value is not None else self._local


@contextlib.contextmanager
def signals_held():
    """Ctrl-C and SIGTERM held off until the block ends, then delivered. Around a fork:
    a signal that arrives while Python runs its fork handlers raises inside one of them,
    where the exception is printed and dropped, and the build would go on."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def fork_map(func: Callable[[T], R], items: Sequence[T], jobs: int | None = None,
             min_per_worker: int = MIN_PER_WORKER, counter: Counter | None = None,
             report: Report | None = None) -> list[R]:
    """[func(x) for x in items], in order, over `jobs` forked workers, each taking the
    next item not yet taken when it is free (items differ in cost: a shard of the most
    used tags has five times the pages of a shard of articles). With a `counter`, each
    finished item ticks it and `report` hears the count as it grows."""
    jobs = min(jobs or workers(), max(1, len(items) // min_per_worker))
    if jobs <= 1 or not _can_fork():
        results = []
        for item in items:
            results.append(func(item))
            if counter is not None:
                counter.tick()
            if counter is not None and report:
                report(counter.value)
        return results
    context = multiprocessing.get_context("fork")
    taken = context.Value("q", 0)  # the next item's index, shared
    readers = {}
    processes = []
    results: list[R] = [None] * len(items)  # type: ignore[list-item]
    failure: BaseException | None = None
    try:
        for share in range(jobs):
            reader, writer = context.Pipe(duplex=False)
            processes.append(_forked(_work, (func, items, taken, writer, counter, os.getpid())))
            writer.close()
            readers[reader] = share
        while readers:
            for reader in wait(list(readers), timeout=0.2):
                status, payload = _answer(reader, processes[readers[reader]])
                if status == "ok":
                    index, value = payload  # type: ignore[misc]
                    results[index] = value
                    continue
                del readers[reader]     # its last word: done, failed or dead
                if status != "done" and failure is None:
                    failure = payload   # type: ignore[assignment]
            if counter is not None and report:
                report(counter.value)
    except BaseException:   # Ctrl-C or SIGTERM: end the workers before unwinding
        for process in processes:
            process.kill()
        raise
    finally:
        for process in processes:
            process.join()
    if failure is not None:
        raise failure
    return results


class Executor(Protocol):
    """Where the per-item stages run: this machine's cores (`Local`) or a cluster
    (`cluster.Cluster`). The stages are pure functions of their items; what differs is
    whether the workers share this machine's disk (its derive cache, its staging
    folder), so a stage run elsewhere sends its results back to be stored here."""

    shares_disk: bool

    @property
    def workers(self) -> int:
        """How many items run at once."""
        ...

    def map(self, func: Callable[[T], R], items: Iterable[T],
            min_per_worker: int = MIN_PER_WORKER, counter: Counter | None = None,
            report: Report | None = None, each: Callable[[R], R] | None = None) -> list[R]:
        """[each(func(x)) for x in items], in order; `each` runs here as results come in
        (so what it keeps, not every result, is held at once); `counter` ticks per item;
        `min_per_worker`: the fewest items worth a worker's start."""
        ...


class Local:
    """Forked workers on this machine's cores: see `fork_map`."""

    shares_disk = True

    def __init__(self, jobs: int | None = None):
        self.jobs = jobs

    @property
    def workers(self) -> int:
        return self.jobs or workers()

    def map(self, func: Callable[[T], R], items: Iterable[T],
            min_per_worker: int = MIN_PER_WORKER, counter: Counter | None = None,
            report: Report | None = None, each: Callable[[R], R] | None = None) -> list[R]:
        done = fork_map(func, list(items), self.jobs, min_per_worker, counter, report)
        return done if each is None else [each(value) for value in done]


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive the build: if the parent is killed outright (the OOM
    killer, `kill -9`, a timeout), the kernel kills the worker too (Linux). Ctrl-C and
    SIGTERM are the parent's to handle; it ends the workers as it unwinds."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # held to fork
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass    # not Linux: the worker ends when its pipe to the parent breaks
    if os.getppid() != parent:
        os._exit(1)     # the parent died before the request took effect


def _work(func, items, taken, writer, counter, parent) -> None:
    """Take the next item until none is left, sending back each (index, result) as it
    is done, then a last word. Held until the end, a share's results were in the worker
    twice (as values, then pickled) and came to the parent as one message: 50,000
    articles' entries a worker, deriving 100,000 (workers of 1.18 GB, measured)."""
    _die_with_parent(parent)
    try:
        while True:
            with taken.get_lock():
                index = taken.value
                taken.value += 1
            if index >= len(items):
                break
            result = func(items[index])
            writer.send_bytes(pickle.dumps(("ok", (index, result)),
                                           protocol=pickle.HIGHEST_PROTOCOL))
            del result
            if counter is not None:
                counter.tick()
        data = pickle.dumps(("done", None))
    except BaseException as error:  # sent back and raised in the parent
        data = _failure(error)
    writer.send_bytes(data)
    writer.close()
    os._exit(0)  # skip the inherited atexit handlers and buffers of the parent


def _forked(target: Callable[..., None], args: tuple) -> multiprocessing.process.BaseProcess:
    """A worker forked now, with Ctrl-C and SIGTERM held across the fork (see
    `signals_held`); one delivered as it is done ends the worker before it is raised."""
    process = multiprocessing.get_context("fork").Process(target=target, args=args, daemon=True)
    try:
        with signals_held():
            process.start()
    except BaseException:
        if process.pid is not None:
            process.kill()
            process.join()
        raise
    return process


def _answer(reader, process) -> tuple[str, object]:
    """A worker's next word: ("ok", a result), ("done", None) after the last, ("error",
    its exception), or, if it died without a word, ("crash", why)."""
    try:
        return pickle.loads(reader.recv_bytes())
    except (EOFError, OSError):
        process.join()
        return "crash", _crashed(process.exitcode)


def _failure(error: BaseException) -> bytes:
    """An exception to send back, as itself if it pickles, else as its traceback."""
    try:
        return pickle.dumps(("error", error))
    except Exception:
        return pickle.dumps(("error", RuntimeError(traceback.format_exc())))


def _crashed(code: int | None) -> BuildError:
    """A worker that died without a word: killed by a signal, most often the OOM killer."""
    how = (f"was killed by signal {-code} ({signal.Signals(-code).name})" if code and code < 0
           else f"exited with code {code}")
    hint = ("SIGKILL is what the kernel sends when memory runs out: free memory or build on a "
            "larger machine" if code == -signal.SIGKILL else "run the build again with --debug")
    return BuildError.single(f"a build worker {how}; the published site is unchanged", hint=hint)


class Background:
    """A task started in a forked worker now, its result collected later: the search
    index is made while the parent plans and renders pages."""

    def __init__(self, task: Callable[[], R]):
        self._value: R | None = None
        self._process = None
        if not _can_fork():
            self._value = task()    # no fork: done here and now
            return
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        # Held here: a started process lets go of its arguments, and a shared value let go
        # of is handed out again to the next one made (a walk's, which its workers count
        # up while this task has yet to take its item: it then found none to take).
        self._taken = context.Value("q", 0)
        self._process = _forked(_work, (_call, [task], self._taken, writer, None, os.getpid()))
        writer.close()

    def ready(self, timeout: float) -> bool:
        """Has the task finished (or failed)? Waits up to `timeout` seconds to see."""
        return self._process is None or self._reader.poll(timeout)

    def result(self) -> R:
        if self._process is None:
            return self._value  # type: ignore[return-value]
        try:
            status, payload = _answer(self._reader, self._process)
        except BaseException:   # Ctrl-C or SIGTERM while waiting
            self.cancel()
            raise
        self._process.join()
        self._process = None
        if status != "ok":
            raise payload
        self._value = payload[1]
        return self._value  # type: ignore[return-value]

    def cancel(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._process = None


class Helper:
    """A worker forked now, while this process is small, that readies itself (`prepare`
    loads its tools and returns the function it will run) as this process goes on; later
    it runs that function on the items it is given, itself or on workers it forks, which
    start ready. What it loads stays in its memory, not this process's: the articles are
    derived there while this process reads the state or the article files, and the
    segmenter is never loaded here. `now`: ready itself at once (on one core, readying
    itself in vain would take the caller's time: it waits to be asked). `counter`:
    ticked for each item done. Where fork is not available, `prepare` runs here, on
    first use."""

    def __init__(self, prepare: Callable[[], Callable[[T], R]], now: bool = True,
                 counter: Counter | None = None):
        self._prepare: Callable[[], Callable[[T], R]] | None = prepare
        self._func: Callable[[T], R] | None = None     # where it runs here
        self._process = None
        self.counter = counter or Counter()
        if not _can_fork():
            return
        self._conn, theirs = multiprocessing.get_context("fork").Pipe()
        self._process = _forked(_serve, (prepare, theirs, os.getpid(), now, self.counter))
        theirs.close()

    def map(self, items: Sequence[T], jobs: int = 1, report: Report | None = None) -> list[R]:
        """[func(x) for x in items], in order, func being what `prepare` returned; on up
        to `jobs` workers forked from the helper (as `fork_map`). `report` hears the
        count of items done as it grows."""
        if self._process is None:
            if self._prepare is None:
                raise RuntimeError("the helper is closed")
            self._func = self._func or self._prepare()
            return fork_map(self._func, list(items), 1, counter=self.counter, report=report)
        try:
            with contextlib.suppress(OSError):  # dead before it was asked: read its end
                self._conn.send_bytes(pickle.dumps((list(items), jobs),
                                                   protocol=pickle.HIGHEST_PROTOCOL))
            while report is not None and not self._conn.poll(0.2):
                report(self.counter.value)
            status, payload = _answer(self._conn, self._process)
        except BaseException:   # Ctrl-C or SIGTERM while waiting
            self.close()
            raise
        if status != "ok":
            self.close()
            raise payload
        return payload

    def close(self) -> None:
        """End the worker (it may still be readying itself: nothing is lost)."""
        self._prepare = self._func = None
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._conn.close()
            self._process = None


def _serve(prepare, conn, parent, now: bool, counter: Counter) -> None:
    """The helper's side: ready itself (at once, or when first asked), then answer each
    list of items with the results, or with the error (a failure to ready itself is the
    answer to every request)."""
    _die_with_parent(parent)
    # it forks workers of its own (`fork_map`), which multiprocessing refuses a daemon;
    # this copy of its flag is its own, and it ends by `os._exit`, never by the exit
    # handlers that flag is for
    multiprocessing.current_process().daemon = False
    func: Callable | None = None
    failure: BaseException | None = None

    def ready() -> None:
        nonlocal func, failure
        if func is None and failure is None:
            try:
                func = prepare()
            except BaseException as error:
                failure = error

    if now:
        ready()
    while True:
        try:
            items, jobs = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            break
        ready()
        try:
            if failure is not None:
                raise failure
            data = pickle.dumps(("ok", fork_map(func, items, jobs, counter=counter)),  # type: ignore[arg-type]
                                protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:
            data = _failure(error)
        conn.send_bytes(data)
    os._exit(0)


def _call(task: Callable[[], R]) -> R:
    return task()

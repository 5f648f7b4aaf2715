"""Run the per-article stage and the rendering on a Dask cluster (`build --cluster`).

The scheduler and its workers are started apart from the build (`dask scheduler` and
`dask worker` by hand, the Dask Kubernetes operator, dask-jobqueue), each worker with
this version of builder installed. What a stage needs besides its items (the tools,
the plan, the templates) is sent to every worker once; the items go in batches, a
few per worker at a time; the results come back here, where the output and the state
are written. A worker lost mid-build is Dask's to handle: its tasks run again on
another.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import pickle
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from . import fingerprint
from .errors import BuildError
from .parallel import MIN_PER_WORKER, Counter, Report

T = TypeVar("T")
R = TypeVar("R")
CONNECT_SECONDS = 10.0
IN_FLIGHT = 3   # batches queued per worker thread: enough to keep each busy
START_HINT = ("start a scheduler with `dask scheduler` and workers with `dask worker ADDRESS "
              "--nthreads 1 --nworkers N`, or build without --cluster")


class Cluster:
    """An `Executor` on a `dask.distributed` scheduler at `address` (tcp://HOST:PORT).
    Refused at once, before any work, when the scheduler cannot be reached, has no
    workers, or its workers run other code than this process."""

    shares_disk = False

    def __init__(self, address: str, timeout: float | None = None):
        try:
            import distributed
        except ImportError:
            raise BuildError.single(
                "--cluster needs Dask's distributed scheduler, which is not installed",
                hint="pip install -e '.[cluster]' (or pip install 'dask[distributed]')") from None
        self.address = address
        timeout = timeout or CONNECT_SECONDS
        try:
            self.client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise BuildError.single(f"cannot reach the Dask scheduler at {address}: {exc}",
                                    hint=START_HINT) from None
        try:
            self._check(timeout)
        except BaseException:
            self.close()
            raise

    def _check(self, timeout: float) -> None:
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            raise BuildError.single(f"the Dask scheduler at {self.address} has no workers",
                                    hint=START_HINT) from None
        try:
            theirs: dict[str, str] = self.client.run(_code)
        except Exception as exc:  # a worker that cannot import builder fails to unpickle
            raise BuildError.single(
                f"the workers of {self.address} cannot run builder: {type(exc).__name__}: {exc}",
                hint="install this version of builder on every worker") from None
        ours = fingerprint.package_digest()
        other = sorted(worker for worker, code in theirs.items() if code != ours)
        if other:   # other code would make other pages: refused rather than mixed in
            raise BuildError.single(
                f"{len(other)} of {len(theirs)} workers of {self.address} run another version "
                f"of builder (first: {other[0]})",
                hint="install this version of builder on every worker, then build again")

    @property
    def workers(self) -> int:
        info = self.client.scheduler_info()["workers"]
        return max(1, sum(worker.get("nthreads", 1) for worker in info.values()))

    def map(self, func: Callable[[T], Any], items: Iterable[T],
            min_per_worker: int = MIN_PER_WORKER, counter: Counter | None = None,
            report: Report | None = None, each: Callable[[Any], R] | None = None) -> list[Any]:
        """See `parallel.Executor.map`; items go in batches of `min_per_worker`."""
        import distributed

        batches = _batches(iter(items), min_per_worker)
        first = next(batches, None)
        if first is None:
            return []
        import cloudpickle

        # Sent as bytes, unpickled by the task: a value that failed to unpickle as Dask
        # fetched it would leave the tasks waiting on it for ever (dask/distributed#6705);
        # in a task, the failure is the task's error, raised here.
        packed = (uuid.uuid4().hex, cloudpickle.dumps(func, protocol=pickle.HIGHEST_PROTOCOL))
        # once per worker (in a list: a tuple on its own would be scattered item by item)
        shared = self.client.scatter([packed], broadcast=True, hash=False)[0]
        place: dict[str, int] = {}
        pending: dict[str, Any] = {}    # futures submitted, by key
        done: dict[int, list[Any]] = {}
        numbered = enumerate(itertools.chain([first], batches))

        def submit() -> Any:
            found = next(numbered, None)
            if found is None:
                return None
            future = self.client.submit(_run_batch, shared, found[1], pure=False)
            place[future.key], pending[future.key] = found[0], future
            return future

        try:
            started = [submit() for _ in range(IN_FLIGHT * self.workers)]
            queue = distributed.as_completed([f for f in started if f is not None],
                                             loop=self.client.loop)
            for future in queue:
                values = future.result()
                done[place.pop(future.key)] = [each(v) for v in values] if each else values
                pending.pop(future.key).release()
                if (following := submit()) is not None:
                    queue.add(following)
                if counter is not None:
                    for _ in values:
                        counter.tick()
                    if report:
                        report(counter.value)
        except distributed.KilledWorker as exc:
            raise BuildError.single(
                f"a task killed every worker that ran it ({exc}); the published site is unchanged",
                hint="see the workers' logs; most often they ran out of memory") from None
        except (OSError, concurrent.futures.CancelledError) as exc:
            raise BuildError.single(
                f"lost the Dask scheduler at {self.address} mid-build ({type(exc).__name__}); "
                "the published site is unchanged", hint="build again once it is back") from None
        finally:
            for future in pending.values():
                future.cancel()
            shared.release()
        return [value for index in sorted(done) for value in done[index]]

    def close(self) -> None:
        self.client.close()


def _code() -> str:
    """The digest of the builder code a worker runs."""
    return fingerprint.package_digest()


def _batches(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while batch := list(itertools.islice(items, max(1, size))):
        yield batch


def _run_batch(packed: tuple[str, bytes], batch: list[T]) -> list[Any]:
    with _UNPACKING:
        func = _UNPACKED.get(packed[0])
        if func is None:
            import cloudpickle

            func = cloudpickle.loads(packed[1])
            while len(_UNPACKED) >= 2:  # another build's stage, or this build's last one
                _UNPACKED.pop(next(iter(_UNPACKED)))
            _UNPACKED[packed[0]] = func
    return [func(item) for item in batch]


# A worker's memo of the stages it was last sent, by token, so each batch does not unpickle
# the tools or the plan again: the worker process's own, never the builder's.
_UNPACKED: dict[str, Callable[[Any], Any]] = {}
_UNPACKING = threading.Lock()

"""Benchmark: a cold build on a local Dask cluster against the same build on this
machine's cores (the cluster's overhead), and a projection for 1,000,000 articles.

    .venv/bin/pip install -e '.[cluster]'
    .venv/bin/python bench/cluster.py                   # 10,000 articles, 3 rounds
    .venv/bin/python bench/cluster.py --size 1000 --rounds 1

Writes the corpus (bench/corpus.py), then alternates cold builds (no output, no
cache, no state), round by round: `builder build` on this machine's cores, then
`builder build --cluster` on a scheduler and as many single-threaded workers as
there are cores, started on 127.0.0.1 for the round (`dask scheduler`, `dask worker
--nthreads 1 --no-nanny`), as they would be on other machines. Each build's phases
come from `build -v`.

The projection splits a cluster build's work in two, both measured from rusage:
what the machine running `builder` does (its CPU seconds: reading the files,
planning, storing what comes back, writing the output and the state, sending the
work) and what the workers do (their CPU seconds, less what idle workers take to
start and stop). It assumes both grow in proportion to the articles, the workers'
share divides evenly among them, and the network and the scheduler keep up; see
the printed assumptions.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

BIN = Path(sys.executable).parent
PROJECTED = 1_000_000
PROJECTED_WORKERS = (2, 8, 32, 128)


@dataclass
class Run:
    seconds: float      # wall
    cpu: float          # the builder process's CPU seconds
    rss_mb: float
    phases: dict[str, float]
    workers_cpu: float = 0.0    # the workers' CPU seconds (cluster builds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(site: Path, extra: list[str]) -> Run:
    shutil.rmtree(site / "_site", ignore_errors=True)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    log = site.parent / "build.log"
    with open(log, "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen([str(BIN / "builder"), "build", "-v", *extra], cwd=site,
                                   stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    text = log.read_text(encoding="utf-8")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"builder build {' '.join(extra)} failed:\n{text[-3000:]}")
    line = next(line for line in text.splitlines() if line.startswith("time: "))
    phases = {name: float(value) for name, value in re.findall(r"(\w+) ([\d.]+) s", line)}
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, phases)


class LocalCluster:
    """A scheduler and `workers` single-threaded worker processes, children of this one,
    so their CPU time is ours to read once they are stopped."""

    def __init__(self, workers: int):
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.before = _children_cpu()
        logs = Path(os.environ.get("BENCH_DIR", "/tmp/builder-bench"))
        self.workers = [_worker(self.address, logs / f"worker-{n}.log") for n in range(workers)]
        import distributed

        with distributed.Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)

    def stop(self) -> float:
        """Stops the workers, then the scheduler: the workers' CPU seconds."""
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            worker.wait(timeout=60)
        spent = _children_cpu() - self.before
        self.scheduler.terminate()
        self.scheduler.wait(timeout=60)
        return spent


def _worker(address: str, log: Path) -> subprocess.Popen:
    with open(log, "ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=err)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def idle_workers_cpu(workers: int) -> float:
    """What starting and stopping the workers costs without a build."""
    cluster = LocalCluster(workers)
    time.sleep(1)
    return cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    folder = Path(os.environ.get("BENCH_DIR", "/tmp/builder-bench")) / f"cluster-{args.size}"
    corpus.write(args.size, folder)
    site = folder / "builder"
    idle = idle_workers_cpu(args.workers)
    local: list[Run] = []
    remote: list[Run] = []
    for round_ in range(args.rounds):
        local.append(build(site, []))
        cluster = LocalCluster(args.workers)
        try:
            run = build(site, ["--cluster", cluster.address])
        finally:
            run.workers_cpu = cluster.stop() - idle
        remote.append(run)
        print(f"round {round_ + 1}: local {local[-1].seconds:.1f} s, "
              f"cluster {remote[-1].seconds:.1f} s", file=sys.stderr)
    report(args.size, args.workers, local, remote, idle)


def median(runs: list[Run], get) -> float:
    return statistics.median(get(r) for r in runs)


def report(size: int, workers: int, local: list[Run], remote: list[Run], idle: float) -> None:
    print(f"\n{size:,} articles, cold builds, {len(local)} round(s), {workers} workers "
          f"on this machine ({os.cpu_count()} cores); medians\n")
    print("| | wall | load | plan | publish | builder CPU | workers CPU | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for name, runs in (("local (forked workers)", local), ("--cluster", remote)):
        print(f"| {name} | {median(runs, lambda r: r.seconds):.1f} s | "
              f"{median(runs, lambda r: r.phases.get('load', 0)):.1f} s | "
              f"{median(runs, lambda r: r.phases.get('plan', 0)):.1f} s | "
              f"{median(runs, lambda r: r.phases.get('publish', 0)):.1f} s | "
              f"{median(runs, lambda r: r.cpu):.1f} s | "
              f"{median(runs, lambda r: r.workers_cpu):.1f} s | "
              f"{max(r.rss_mb for r in runs):.0f} MB |")
    ratio = median(remote, lambda r: r.seconds) / median(local, lambda r: r.seconds)
    print(f"\ncluster ÷ local: {ratio:.2f} (the overhead of sending the work, on the same cores)")
    main_per = median(remote, lambda r: r.cpu) / size
    workers_per = median(remote, lambda r: r.workers_cpu) / size
    print(f"\nper article: {main_per * 1000:.2f} ms on the machine running builder, "
          f"{workers_per * 1000:.2f} ms on the workers (idle workers' start and stop, "
          f"{idle:.1f} s, taken out)")
    print(f"\nprojection for {PROJECTED:,} articles (assumptions: both costs grow in "
          "proportion to the articles; the workers' share divides evenly; the network, the "
          "scheduler and the main machine's memory keep up):\n")
    print("| workers | builder's machine | workers | projected wall |")
    print("|---|---|---|---|")
    for count in PROJECTED_WORKERS:
        serial = main_per * PROJECTED
        spread = workers_per * PROJECTED / count
        print(f"| {count} | {serial / 60:.0f} min | {spread / 60:.0f} min | "
              f"{max(serial, spread) / 60:.0f}–{(serial + spread) / 60:.0f} min |")


if __name__ == "__main__":
    main()

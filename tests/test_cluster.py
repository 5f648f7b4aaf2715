"""Builds on a real Dask cluster: a scheduler and two workers started here as separate
processes on 127.0.0.1, as `dask scheduler` and `dask worker` would be on other
machines. The output must equal a local build's, byte for byte."""

from __future__ import annotations

import concurrent.futures
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder import cli, cluster, engine, fingerprint
from builder.cluster import Cluster
from builder.errors import BuildError
from builder.site import build

from .conftest import REPO, article, create_site, free_port, snapshot

distributed = pytest.importorskip("distributed")
WORKERS = 2


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory):
    """A scheduler and two single-threaded workers (each a process of its own, as the
    README starts them), ready; stopped after the module."""
    folder = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    started = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port),
                                 "--no-dashboard"], cwd=folder,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    for _ in range(WORKERS):
        started.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(folder)],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        client = distributed.Client(address, timeout=60)
        client.wait_for_workers(WORKERS, timeout=60)
        client.close()
        yield address
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _paragraphs() -> list[str]:
    lines = []
    for source in sorted((REPO / "sources").glob("*.txt")):
        lines += [line.strip() for line in source.read_text(encoding="utf-8").splitlines()
                  if len(line.strip()) >= 40]
    return lines


def generated_site(root: Path, count: int) -> Path:
    """`count` articles made of the seed pages' paragraphs, some of them Traditional."""
    rng, pool = random.Random(20240722), _paragraphs()
    articles = {}
    for number in range(count):
        body = rng.sample(pool, k=rng.randint(3, 6))
        articles[f"a{number:04d}.md"] = article(
            body[0][:rng.randint(10, 20)].rstrip("，、。；："), "\n\n".join(body),
            date=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            authors='["周伟"]' if number % 3 else '["傅军"]')
    return create_site(root, articles)


@pytest.fixture
def many_pages(monkeypatch):
    """Pages walked on the workers at this size, as they are for 250 articles and more."""
    monkeypatch.setattr(engine, "PARALLEL_ARTICLES", 1)


def test_a_cluster_build_equals_a_local_one_and_the_next_local_build_is_incremental(
        address, tmp_path, many_pages):
    site = generated_site(tmp_path / "site", 150)    # three batches of articles per stage
    local = build(site, out=tmp_path / "local")
    assert local.full and local.articles == 150
    shared = tmp_path / "shared-cache"  # the cluster's build must derive every article itself
    (site / ".cache").rename(shared)
    remote = Cluster(address)
    try:
        assert remote.workers == WORKERS
        result = build(site, out=tmp_path / "cluster", executor=remote)
    finally:
        remote.close()
    assert result.pages == local.pages
    assert snapshot(tmp_path / "cluster") == snapshot(tmp_path / "local")

    # the cluster filled this machine's state and derive cache: an edit is incremental
    edited = site / "content" / "a0007.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("+++\n\n", "+++\n\n新增一段。\n\n", 1),
                      encoding="utf-8")
    after = build(site, out=tmp_path / "cluster")
    assert not after.full and 0 < after.written < 60
    assert snapshot(tmp_path / "cluster") == snapshot(build(site, out=tmp_path / "clean",
                                                            clean=True).out)


def test_a_template_error_on_a_worker_names_the_template_and_line(address, tmp_path,
                                                                    many_pages):
    site = generated_site(tmp_path / "site", 20)
    template = site / "templates" / "article.html"
    lines = template.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(4, "{{ no_such_variable }}\n")     # inside the head block
    template.write_text("".join(lines), encoding="utf-8")
    remote = Cluster(address)
    try:
        with pytest.raises(BuildError) as raised:
            build(site, out=tmp_path / "out", executor=remote)
    finally:
        remote.close()
    problem = raised.value.problems[0]
    assert "no_such_variable" in problem.message
    assert (problem.path, problem.line) == (Path("templates/article.html"), 5)
    assert not (tmp_path / "out").exists()  # nothing published


def _dies_once(marker: str, item: int) -> int:
    """Kills the worker that first runs it (the nanny starts a new one)."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return item * item


def test_a_worker_lost_mid_build_is_retried(address, tmp_path):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers lack tests/
    remote = Cluster(address)
    try:
        items = list(range(40))
        assert remote.map(lambda x: _dies_once(str(tmp_path / "died"), x), items,
                          min_per_worker=4) == [x * x for x in items]
        assert (tmp_path / "died").exists()
        deadline = time.monotonic() + 60    # the next test gets both workers back
        while len(remote.client.scheduler_info()["workers"]) < WORKERS:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        remote.close()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def _refuse() -> None:
    raise RuntimeError("cannot be loaded on this worker")


class _Unloadable:
    """Pickles here; unpickling it raises, as a stage whose tools fail to load would."""

    def __reduce__(self):
        return (_refuse, ())

    def __call__(self, item: int) -> int:
        return item


def test_a_stage_that_fails_to_load_on_a_worker_is_an_error_not_a_hang(address):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    remote = Cluster(address)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:   # a hang fails, not waits
            running = pool.submit(remote.map, _Unloadable(), range(10), min_per_worker=2)
            with pytest.raises(RuntimeError, match="cannot be loaded on this worker"):
                running.result(timeout=60)
    finally:
        remote.close()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_a_scheduler_lost_mid_build_is_one_clear_error(tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
         str(port), "--no-dashboard"], cwd=tmp_path, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(tmp_path)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        remote = Cluster(address, timeout=60)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(remote.map, time.sleep, [0.2] * 200, min_per_worker=1)
            time.sleep(2)
            scheduler.kill()
            with pytest.raises(BuildError, match=r"lost the Dask scheduler at .* mid-build"):
                running.result(timeout=60)
        remote.close()
    finally:
        for process in (scheduler, worker):
            process.kill()
            process.wait(timeout=20)


def test_an_unreachable_cluster_is_one_clear_error_before_any_work(tmp_path, capsys,
                                                                    monkeypatch):
    site = generated_site(tmp_path / "site", 3)
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1.0)
    code = cli.main(["build", "--root", str(site), "--cluster", f"tcp://127.0.0.1:{free_port()}"])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in err
    assert "Traceback" not in err
    assert not (site / "_site").exists() and not (site / ".cache").exists()


def test_workers_running_other_code_are_refused(address, monkeypatch):
    monkeypatch.setattr(fingerprint, "package_digest", lambda: "another version")  # here only
    with pytest.raises(BuildError, match=r"2 of 2 workers .* run another version of builder"):
        Cluster(address)

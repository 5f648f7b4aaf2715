"""A bad environment: a full disk, an output that is a mount point, killed processes and
workers, abandoned staging folders, a template that fails as it runs. Each gives one
message, and the published site stays exactly as it was."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from functools import partial
from pathlib import Path

import pytest

from builder import output
from builder.errors import BuildError
from builder.output import Staging
from builder.parallel import Helper, fork_map
from builder.site import build

from .conftest import article, snapshot

ARTICLES = {f"a{n}.md": article(f"防汛第{n}报", "防汛抢险人员在岗。" * 20) for n in range(6)}


def staging_folders(out: Path) -> list[str]:
    return [p.name for p in out.parent.iterdir() if ".staging-" in p.name]


def test_a_full_disk_while_writing_keeps_the_published_site(make_site, monkeypatch):
    root = make_site(ARTICLES)
    out = root / "_site"
    build(root, out=out)
    published = snapshot(out)
    (root / "content/a0.md").write_text(article("新标题", "新内容。"), encoding="utf-8")
    real = Path.write_text
    writes = []

    def filling(self: Path, *args, **kwargs):
        if ".staging-" in str(self):
            writes.append(self)
            if len(writes) > 20:     # the disk fills up part way through the pages
                raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", filling)   # forked workers inherit it
    with pytest.raises(BuildError) as caught:
        build(root, out=out)
    problem = caught.value.problems[0]
    assert problem.message == ("cannot write the site: No space left on device; "
                               "the published site is unchanged")
    assert problem.hint == "free some space and build again"
    assert snapshot(out) == published and staging_folders(out) == []


def test_an_output_that_is_a_mount_point_is_one_message(make_site, monkeypatch):
    root = make_site(ARTICLES)
    out = root / "_site"
    build(root, out=out)
    published = snapshot(out)

    def busy(a: Path, b: Path) -> bool:    # what renaming a mount point gives
        raise OSError(errno.EBUSY, "Device or resource busy", str(b))

    monkeypatch.setattr(output, "_exchange", busy)
    with pytest.raises(BuildError) as caught:
        build(root, out=out, clean=True)    # a full build swaps the whole folder
    assert "Device or resource busy" in caught.value.problems[0].message
    assert "is a mount point" in caught.value.problems[0].hint
    assert snapshot(out) == published and staging_folders(out) == []


def test_a_template_that_fails_as_it_runs_names_its_file_and_line(make_site):
    root = make_site(ARTICLES)
    index = root / "templates/index.html"
    index.write_text(index.read_text(encoding="utf-8").replace(
        "{{ heading }}", "{{ heading }}{{ 1 // 0 }}", 1), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(root, out=root / "_site")
    problem = caught.value.problems[0]
    assert problem.message == "template error: ZeroDivisionError: integer division or modulo by zero"
    assert problem.path == Path("templates/index.html") and problem.line is not None


def _kill_self(item: int) -> int:
    if item == 3:
        os.kill(os.getpid(), signal.SIGKILL)    # what the OOM killer does
    return item


def test_a_worker_killed_by_the_kernel_is_one_message():
    with pytest.raises(BuildError) as caught:
        fork_map(_kill_self, list(range(8)), jobs=2, min_per_worker=1)
    problem = caught.value.problems[0]
    assert problem.message == ("a build worker was killed by signal 9 (SIGKILL); "
                               "the published site is unchanged")
    assert "memory" in problem.hint


def test_workers_die_with_their_build(tmp_path):
    """Killing only the main process (kill -9, the OOM killer) leaves no worker behind to
    hold the caller's pipes open."""
    pids = tmp_path / "pids"
    _, lines = _killed_once_started(_sleeping_workers(pids, """
        from builder.parallel import fork_map
        fork_map(work, list(range(4)), jobs=2, min_per_worker=1)
    """), pids, 2)
    workers = {int(pid) for pid, _ in lines}
    assert len(workers) == 2
    assert _all_end(workers)


def test_a_helpers_workers_die_with_their_build(tmp_path):
    """The workers a helper forks are the build's grandchildren: killing only the main
    process ends the helper, and the helper's end ends them."""
    pids = tmp_path / "pids"
    main, lines = _killed_once_started(_sleeping_workers(pids, """
        from builder.parallel import Helper
        Helper(lambda: work).map(list(range(200)), jobs=2)
    """), pids, 2)
    workers, helpers = {int(w) for w, _ in lines}, {int(h) for _, h in lines}
    assert len(workers) == 2 and len(helpers) == 1 and main not in helpers
    assert _all_end(workers | helpers)


def _sleeping_workers(pids: Path, run: str) -> str:
    """A script whose `work` writes its process and parent to `pids`, then sleeps; `run`
    puts it to work."""
    return textwrap.dedent(f"""
        import os, time

        def work(item):
            with open({str(pids)!r}, "a") as f:
                f.write(f"{{os.getpid()}} {{os.getppid()}}\\n")
            time.sleep(60)
            return item
    """) + textwrap.dedent(run)


def _killed_once_started(script: str, pids: Path, count: int) -> tuple[int, list[list[str]]]:
    """Run `script` until `count` workers wrote to `pids`, then kill its process alone
    (kill -9): its pid, and the lines written."""
    main = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
            not pids.exists() or len(pids.read_text().splitlines()) < count):
        time.sleep(0.05)
    lines = [line.split() for line in pids.read_text().splitlines()]
    main.kill()
    main.wait(timeout=10)
    return main.pid, lines


def _all_end(pids: set[int]) -> bool:
    """Whether every one of these processes ends within ten seconds."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    return not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:    # a zombie, not yet reaped by init, is dead too
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_sigterm_cleans_up_and_keeps_the_published_site(make_site):
    root = make_site({f"a{n}.md": article(f"防汛第{n}报", "防汛抢险人员在岗，" * 200)
                      for n in range(150)})
    out = root / "_site"
    first = subprocess.run([sys.executable, "-m", "builder", "build", "--root", str(root)],
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    published = snapshot(out)
    (root / "content/a0.md").write_text(article("新标题", "新内容。"), encoding="utf-8")
    shutil.rmtree(root / ".cache")      # so the build has work to do when it is stopped
    process = subprocess.Popen([sys.executable, "-m", "builder", "build", "--root", str(root)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (root / ".cache/derived").exists():
        time.sleep(0.01)
    time.sleep(0.3)     # into the conversion of 150 articles, past the fork of its workers
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "interrupted; the published site is unchanged" in stderr
    assert "Traceback" not in stderr
    assert snapshot(out) == published and staging_folders(out) == []


def test_a_sigterm_that_arrives_while_a_worker_is_forked_is_not_lost(make_site):
    """Python runs its fork handlers in the parent; a signal handled inside one raises
    there, where the exception is printed and dropped. The signal is sent from such a
    handler, at the first fork of the build: it must still stop the build."""
    root = make_site({f"a{n}.md": article(f"防汛第{n}报", "防汛抢险人员在岗。") for n in range(70)})
    out = root / "_site"
    build_in_child = (
        "import os, signal, sys\n"
        "os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGTERM))\n"
        "from builder.cli import main\n"
        f"sys.argv = ['builder', 'build', '--root', {str(root)!r}]\n"
        "sys.exit(main())\n")
    process = subprocess.run([sys.executable, "-c", build_in_child], capture_output=True,
                             text=True, timeout=120)
    assert process.returncode == 143, process.stderr
    assert "interrupted; the published site is unchanged" in process.stderr
    assert "Traceback" not in process.stderr and "Exception ignored" not in process.stderr
    assert not out.exists() and staging_folders(out) == []


def test_staging_folders_of_killed_builds_are_removed(make_site):
    root = make_site(ARTICLES)
    out = root / "_site"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = out.parent / f".{out.name}.staging-{dead.pid}-x1y2"
    (abandoned / "zh-hans").mkdir(parents=True)
    running = out.parent / f".{out.name}.staging-{os.getpid()}-a1b2"   # a live build's
    running.mkdir()
    build(root, out=out)
    assert not abandoned.exists() and running.exists()


def test_a_site_left_half_renamed_is_put_back(make_site):
    """Without a rename exchange (macOS), the published site moves aside before the new
    one moves in; a build killed between the two leaves it as `….old`."""
    root = make_site(ARTICLES)
    out = root / "_site"
    build(root, out=out)
    published = snapshot(out)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    aside = out.parent / f".{out.name}.staging-{dead.pid}-k3j4.old"
    out.rename(aside)
    staging = Staging(out)     # what the next build does first
    staging.discard()
    assert snapshot(out) == published and not aside.exists()


def _slow_first(n: int) -> tuple[int, int]:
    if n == 0:
        time.sleep(1.0)     # one costly item: the other worker takes the rest meanwhile
    return n * n, os.getpid()


def test_a_worker_sends_each_result_as_it_is_done():
    """A worker holds no share of results (at 100,000 articles, 50,000 entries): each
    comes back as its own message, the worker's last word after them."""
    import multiprocessing
    import pickle

    from builder import parallel

    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    taken = context.Value("q", 0)   # held here while the worker runs (see `Background`)
    process = parallel._forked(parallel._work, (_slow_first, [1, 2, 3], taken, writer, None,
                                                os.getpid()))
    writer.close()
    words = [pickle.loads(reader.recv_bytes()) for _ in range(4)]
    process.join()
    assert [(status, payload[0] if payload else None) for status, payload in words] == [
        ("ok", 0), ("ok", 1), ("ok", 2), ("done", None)]
    assert [payload[1][0] for _, payload in words[:3]] == [1, 4, 9]


def test_workers_take_the_next_item_when_free_and_results_keep_their_order():
    results = fork_map(_slow_first, list(range(20)), jobs=2, min_per_worker=1)
    assert [square for square, _ in results] == [n * n for n in range(20)]
    slow = results[0][1]
    # the worker that met the slow item did not also get half of the others
    assert sum(1 for _, pid in results if pid == slow) < 10


def _prepare_slowly(loaded: list, pause: float = 0) -> object:
    time.sleep(0.3)     # as loading the tools does, while the caller reads its state
    loaded.append("tools")
    return partial(_answer, loaded=tuple(loaded), pause=pause)


def _answer(item: int, loaded: tuple, pause: float = 0) -> tuple[int, tuple, int]:
    time.sleep(pause)   # long enough for every worker to take a share
    if item < 0:
        raise ValueError(f"bad item {item}")
    if item == 99:
        os._exit(3)     # dies without a word
    return item * item, loaded, os.getpid()


def test_a_helper_readies_itself_in_its_own_process_and_answers_in_order():
    loaded: list = []
    started = time.monotonic()
    helper = Helper(partial(_prepare_slowly, loaded))
    try:
        assert time.monotonic() - started < 0.3     # the caller went on meanwhile
        answers = helper.map([3, 1, 2])
        assert [square for square, _, _ in answers] == [9, 1, 4]
        # what it loaded is in its memory, not the caller's
        assert {(what, pid) for _, what, pid in answers} == {(("tools",), answers[0][2])}
        assert answers[0][2] != os.getpid() and loaded == []
        assert [square for square, _, _ in helper.map([5])] == [25]   # and again
    finally:
        helper.close()


def test_a_helper_maps_on_workers_it_forks_ready_and_counts_what_they_did():
    loaded: list = []
    heard: list[int] = []
    helper = Helper(partial(_prepare_slowly, loaded, pause=0.005))
    try:
        items = list(range(100, 300))     # not 99, which `_answer` dies on
        answers = helper.map(items, jobs=2, report=heard.append)
        assert [square for square, _, _ in answers] == [n * n for n in items]
        # each worker started with what the helper loaded, and none is this process
        assert {what for _, what, _ in answers} == {("tools",)} and loaded == []
        assert len({pid for _, _, pid in answers} - {os.getpid()}) == 2
        assert heard == sorted(heard) and helper.counter.value == 200
    finally:
        helper.close()


def test_a_helpers_failure_is_raised_and_a_helper_that_dies_is_one_message():
    helper = Helper(partial(_prepare_slowly, []))
    with pytest.raises(ValueError, match="bad item -1"):
        helper.map([1, -1])
    helper = Helper(partial(_prepare_slowly, []))
    with pytest.raises(BuildError) as caught:
        helper.map([99])
    assert caught.value.problems[0].message == ("a build worker exited with code 3; "
                                                "the published site is unchanged")


def test_a_helper_that_cannot_ready_itself_raises_why_when_asked():
    helper = Helper(partial(_answer, -5, ()))    # preparing raises
    with pytest.raises(ValueError, match="bad item -5"):
        helper.map([1])


def _prepare_marking(marker: Path) -> object:
    marker.write_text("ready")
    return partial(_answer, loaded=())


def test_a_helper_told_to_wait_readies_itself_only_when_asked(tmp_path):
    """On one core, readying itself ahead would take the caller's time, perhaps in vain."""
    marker = tmp_path / "ready"
    helper = Helper(partial(_prepare_marking, marker), now=False)
    try:
        time.sleep(0.5)     # an eager helper has written it within milliseconds
        assert not marker.exists()
        assert [square for square, _, _ in helper.map([2])] == [4]
        assert marker.exists()
    finally:
        helper.close()


def _die_preparing() -> object:
    os._exit(4)


def test_a_helper_that_died_before_it_was_asked_is_one_message():
    helper = Helper(_die_preparing)
    time.sleep(0.3)     # dead by now: asking it writes to a closed pipe, or reads nothing
    with pytest.raises(BuildError) as caught:
        helper.map([1])
    assert caught.value.problems[0].message == ("a build worker exited with code 4; "
                                                "the published site is unchanged")

"""Faults end cleanly: a closed pipe, Ctrl-C, kill -9, a full disk, a directory in the way.

One line on stderr (none for a closed pipe), a documented exit code, no traceback, no file of
the failed run left behind and no helper process left running.
"""

from __future__ import annotations

import base64
import errno
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

import derive.files
from derive.commands.cli import main
from derive.errors import BackgroundError, InputError
from derive.files import write_all
from derive.typeset.fonts import linked_css
from derive.typeset.html import HtmlRenderer
from derive.typeset.pdf import render, render_parts
from derive.workers import MATH, PDF, Lane, Workers

# slow (starts, interrupts and kills real processes): make test-fast leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _derive(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "derive", *args], env=ENV, **options)


def _children(pid: int) -> list[int]:
    """The process's children, from /proc (Linux)."""
    found = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in tasks.read_text().split()]
        except OSError:  # the thread just ended
            continue
    return found


def _alive(pid: int) -> bool:
    """Running, not ended (a zombie waiting for init to reap it counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for_children(process: subprocess.Popen, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if children := _children(process.pid):
            return children
        assert process.poll() is None, "derive sheet ended before it forked a helper"
        time.sleep(0.005)
    raise AssertionError("derive sheet forked no helper")


def _python(script: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """A script run in a fresh process, as a user's."""
    return subprocess.run(
        [sys.executable, "-c", script], env=ENV, capture_output=True, text=True, timeout=timeout
    )


needs_proc = pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task").exists(), reason="needs Linux /proc"
)


def test_closed_pipe_ends_quietly():
    # the reader is gone before derive writes a byte: `derive solve | true`
    process = _derive("solve", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 141
    assert err == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_full_standard_output_is_one_line():
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "derive", "solve"],
            env=ENV,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr == "derive: cannot write the output: no space left on the disk\n"


@needs_proc
def test_ctrl_c_during_sheet_is_one_line_and_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    process = _derive("sheet", "-o", str(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children = _wait_for_children(process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == b"derive: interrupted\n"
    assert stdout == b""
    assert not out.exists()
    _assert_gone(children)


@needs_proc
def test_helpers_end_with_a_killed_parent(tmp_path):
    out = tmp_path / "out"
    process = _derive("sheet", "-o", str(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = _wait_for_children(process)
    process.kill()  # SIGKILL: no cleanup code in derive runs
    process.wait(timeout=10)
    _assert_gone(children)
    assert not out.exists()


def _assert_gone(children: list[int]) -> None:
    """The kernel kills each helper as its parent ends: allow it a moment to happen."""
    deadline = time.monotonic() + 2
    while any(_alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [child for child in children if _alive(child)]


def test_a_worker_that_dies_is_one_error():
    # in this process: the worker path, forked from a process with torch loaded
    with Workers() as workers, pytest.raises(BackgroundError) as error:
        workers.submit(MATH, os._exit, 3)()
    assert error.value.exit_code == 1
    assert str(error.value).startswith("a helper process ended without an answer")


def test_a_worker_whose_answer_is_no_longer_wanted_ends_quietly():
    # the owner ends its workers before the answer comes (it is ending): no traceback, exit 0
    script = (
        "import time\n"
        "from derive.workers import MATH, Workers\n"
        "workers = Workers()\n"
        "workers.submit(MATH, time.sleep, 30)\n"
        "time.sleep(0.2)\n"
        "workers.close()\n"
        "print(workers.lanes)\n"
    )
    start = time.perf_counter()
    result = _python(script)
    assert (result.stdout, result.stderr) == ("[]\n", "")
    assert time.perf_counter() - start < 20  # the sleeping worker did not hold it up


def test_a_lanes_workers_are_niced_children_that_prepare_and_serve_side_by_side():
    lane = Lane("test", nice=3, prepare="os:getpid")
    with Workers() as workers:
        workers.start(lane, 2)
        answers = [workers.submit(lane, _whoami, 0.5) for _ in range(2)]
        start = time.perf_counter()
        found = [answer() for answer in answers]
        elapsed = time.perf_counter() - start
    assert len({pid for pid, _, _ in found}) == 2  # two workers
    assert all(parent == os.getpid() for _, parent, _ in found)  # this process's children
    assert all(nice == os.nice(0) + 3 for _, _, nice in found)
    assert elapsed < 0.95  # side by side, not one after the other


def _whoami(seconds: float) -> tuple[int, int, int]:
    time.sleep(seconds)
    return os.getpid(), os.getppid(), os.nice(0)


def test_directory_in_the_way_is_one_line_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "seed.en.pdf").mkdir()
    start = time.perf_counter()
    assert main(["sheet", "-o", str(tmp_path)]) == 2
    assert time.perf_counter() - start < 5  # found before anything is rendered
    out, err = capsys.readouterr()
    assert out == ""
    problem = "is a directory; remove it or choose another -o DIR"
    assert err == f"derive: {tmp_path / 'seed.en.pdf'}: {problem}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["seed.en.pdf"]
    assert list((tmp_path / "seed.en.pdf").iterdir()) == []


def _fail_on_call(number: int, error: int):
    """A stand-in for derive.files._write_fd that fails the `number`th write."""
    real = derive.files._write_fd
    calls = []

    def write(fd: int, data: bytes) -> None:
        calls.append(fd)
        if len(calls) == number:
            raise OSError(error, os.strerror(error))
        real(fd, data)

    return write


def test_full_disk_leaves_no_file_of_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(derive.files, "_write_fd", _fail_on_call(2, errno.ENOSPC))
    out = tmp_path / "new" / "dir"
    outputs = {out / "a.en.html": b"a", out / "a.en.pdf": b"b", out / "a.ko.html": b"c"}
    with pytest.raises(InputError) as error:
        write_all(outputs)
    assert str(error.value) == f"{out / 'a.en.pdf'}: cannot write: no space left on the disk"
    assert list(tmp_path.iterdir()) == []  # the directories it made are gone too


def test_failed_rename_takes_back_the_files_already_placed(tmp_path, monkeypatch):
    (tmp_path / "keep.txt").write_text("not ours")
    real, calls = os.replace, []

    def replace(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(errno.EISDIR, "Is a directory")
        real(source, target)

    monkeypatch.setattr(derive.files.os, "replace", replace)
    with pytest.raises(InputError, match=r"b\.pdf: cannot write: a directory is in the way"):
        write_all({tmp_path / "a.html": b"a", tmp_path / "b.pdf": b"b"})
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_all_outputs_of_a_run_are_written(tmp_path):
    outputs = {tmp_path / f"{name}.{lang}.html": name.encode() for name in "AB" for lang in "xy"}
    assert write_all(outputs) == list(outputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in outputs)
    assert (tmp_path / "B.y.html").read_bytes() == b"B"


def test_full_disk_during_sheet_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(derive.files, "_write_fd", _fail_on_call(2, errno.ENOSPC))
    out = tmp_path / "out"
    assert main(["sheet", "-o", str(out), "--format", "html,pdf"]) == 2
    assert capsys.readouterr() == (
        "",
        f"derive: {out / 'seed.en.pdf'}: cannot write: no space left on the disk\n",
    )
    assert list(tmp_path.iterdir()) == []


def _small_disk_available() -> bool:
    """A 256 kB tmpfs in a user namespace: a real full disk, without root."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=256k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _small_disk_available(), reason="cannot mount a small tmpfs here")
def test_real_full_disk(tmp_path):
    # the HTML (about 200 kB) fits, the PDF (50 kB) after it does not
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f'mount -t tmpfs -o size=224k tmpfs "{disk}" && '
        f'"{sys.executable}" -m derive sheet -o "{disk}/out"; code=$?; '
        f'ls -A "{disk}"; exit $code'
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], env=ENV, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr
        == f"derive: {disk}/out/seed.en.pdf: cannot write: no space left on the disk\n"
    )
    assert result.stdout == ""  # no path printed, and nothing left on the disk


def test_an_answer_key_in_parts_on_every_helper_never_stalls(tmp_path):
    # a fresh process, as a user runs it: more parts than workers, each bigger than a pipe's
    # buffer, must not leave both sides waiting on each other
    command = [sys.executable, "-m", "derive", "exercises", "--count", "12", "--format", "pdf"]
    result = subprocess.run(
        [*command, "-o", str(tmp_path)], env=ENV, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "answers.en.pdf").read_bytes().startswith(b"%PDF")


@needs_proc
def test_every_worker_ends_with_a_killed_parent(tmp_path):
    # derive exercises starts a verification worker, PDF workers and a fonts worker: kill -9
    # derive, and every one ends
    out = tmp_path / "out"
    process = _derive(
        "exercises", "--count", "30", "-o", str(out),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 3:
        workers = _children(process.pid)
        time.sleep(0.01)
    assert len(workers) >= 3, "derive exercises started fewer than three workers"
    process.kill()
    process.wait(timeout=10)
    _assert_gone(workers)
    assert not out.exists()


def test_parts_come_back_in_order_from_the_first_free_worker():
    # parts of very unequal length, more than workers
    pages = [1, 12, 1, 1, 6, 1]
    css = linked_css() + " body { font-family: NanumGothic }"  # no system font needed
    requests = (
        (f"<p>part {n}</p>" + '<p style="break-before: page">x</p>' * (k - 1), css)
        for n, k in enumerate(pages)
    )
    got: list[bytes] = []
    with Workers() as workers:
        workers.start(PDF, 2)
        render_parts(workers, requests, got.append)()
    read = [PdfReader(io.BytesIO(pdf)) for pdf in got]
    assert [[len(r.pages), r.pages[0].extract_text()] for r in read] == [
        [k, f"part {n}"] for n, k in enumerate(pages)
    ]


def test_a_machine_without_fonts_gets_the_same_pdf_and_no_warning(tmp_path):
    # derive embeds every font it uses: with fontconfig knowing no font at all (a bare CI
    # machine), the PDF is the same byte for byte and WeasyPrint's "no fonts" warning is kept
    # from the user
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    runs = {}
    for name, env in (("bare", {**ENV, "FONTCONFIG_FILE": str(config)}), ("usual", ENV)):
        command = [sys.executable, "-m", "derive", "sheet", "--lang", "ko"]
        result = subprocess.run(
            [*command, "-o", str(tmp_path / name)], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0 and result.stderr == "", result.stderr
        runs[name] = (tmp_path / name / "seed.ko.pdf").read_bytes()
    assert runs["bare"] == runs["usual"]


def test_pages_and_fonts_bigger_than_a_pipe_never_stall():
    # Three pages of 0.5 MB, each a PDF of 0.4 MB, for one PDF worker; and fonts cut for 3 MB
    # of text in 3,000 Korean syllables, asked three times before any answer is read:
    # requests and answers bigger than a pipe
    rng = random.Random(2026)
    noise = Image.frombytes("L", (640, 640), rng.randbytes(640 * 640))
    png = io.BytesIO()
    noise.save(png, "PNG")
    page = f'<img src="data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}">'
    words = "".join(chr(0xAC00 + k) for k in range(3000)) * 350
    with Workers() as workers:
        workers.start(PDF, 1)
        pdfs = [render(workers, page + f"<p>{n}</p>", "") for n in range(3)]
        renderer = HtmlRenderer(workers)
        fonts = [renderer.word_fonts(words + str(n)) for n in range(3)]
        assert [len(pdf()) > 400_000 for pdf in pdfs] == [True] * 3
        assert [len(css()) > 300_000 for css in fonts] == [True] * 3


@pytest.mark.parametrize("command", [["solve"], ["sheet", "-o", "out"]])
def test_closed_standard_output_is_one_line(tmp_path, command):
    """`derive solve >&-`: no standard output at all (Python's sys.stdout is None); nothing
    is written."""
    result = subprocess.run(
        [sys.executable, "-m", "derive", *command],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert result.returncode == 2
    assert result.stderr == (
        "derive: cannot write the output: standard output is closed (discard it with >/dev/null)\n"
    )
    assert list(tmp_path.iterdir()) == []

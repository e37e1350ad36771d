"""Faults end cleanly: a closed pipe, Ctrl-C, kill -9, a full disk, a directory in the way.

One line on stderr (none for a closed pipe), a documented exit code, no traceback, no file of
the failed run left behind and no helper process left running.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import derive.files
from derive.commands.cli import main
from derive.errors import InputError
from derive.files import write_all

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
    """A script run in a fresh process: there helpers are forked (in this test process, with
    torch loaded, they run inline)."""
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


def test_a_helper_that_dies_is_one_error():
    # in a fresh process: with torch loaded (as in this test run) the work would run in it
    script = (
        "import os\n"
        "from derive.background import in_background\n"
        "from derive.errors import BackgroundError\n"
        "try:\n"
        "    in_background(lambda: os._exit(3))()\n"
        "except BackgroundError as exc:\n"
        "    print(exc.exit_code, exc)\n"
    )
    result = _python(script)
    assert result.stdout.startswith("1 a helper process ended without an answer (exit code 3)")


def test_a_helper_whose_answer_is_no_longer_wanted_ends_quietly():
    # the parent hangs up before the answer comes (it is ending): no traceback, exit code 0
    script = (
        "import time\n"
        "from derive.background import Service\n"
        "service = Service(lambda: None, lambda request: time.sleep(0.3) or request * 100_000)\n"
        "service.ask('x')\n"
        "service.connection.close()\n"
        "service.child.join(30)\n"
        "print(service.child.exitcode)\n"
    )
    result = _python(script)
    assert (result.stdout, result.stderr) == ("0\n", "")


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
    # a fresh process, as a user runs it: the helpers are forked (in this test process, with
    # torch loaded, they run inline); more parts than helpers, each bigger than a pipe's
    # buffer, must not leave both sides waiting on each other
    command = [sys.executable, "-m", "derive", "exercises", "--count", "12", "--format", "pdf"]
    result = subprocess.run(
        [*command, "-o", str(tmp_path)], env=ENV, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "answers.en.pdf").read_bytes().startswith(b"%PDF")


def test_copies_of_a_helper_prepare_once_and_serve_apart(tmp_path):
    # a fresh process (with torch loaded here, helpers would run inline)
    script = (
        "import json, os\n"
        "from derive.background import Service\n"
        f"log = {str(tmp_path / 'prepared')!r}\n"
        "def prepare():\n"
        "    with open(log, 'a') as f: f.write(f'{os.getpid()}\\n')\n"
        "first = Service(prepare, lambda r: (os.getpid(), os.getppid(), r * 2), copies=2)\n"
        "services = [first, *first.copies]\n"
        "waits = [s.ask(n) for n, s in enumerate(services)]\n"
        "print(json.dumps([w() for w in waits]))\n"
        "print(os.getpid())\n"
    )
    result = _python(script)
    assert result.stderr == ""
    answers, parent = result.stdout.splitlines()
    answers = json.loads(answers)
    pids = [pid for pid, _, _ in answers]
    assert [r for _, _, r in answers] == [0, 2, 4]
    assert len(set(pids)) == 3
    prepared = (tmp_path / "prepared").read_text().split()
    assert prepared == [str(pids[0])]  # once, in the first helper
    assert answers[0][1] == int(parent)  # the first is this process's child,
    assert answers[1][1] == answers[2][1] == pids[0]  # the copies the first's


@needs_proc
def test_copies_end_with_a_killed_parent(tmp_path):
    # derive exercises forks a PDF helper, which forks its copy; kill -9 derive: all end
    out = tmp_path / "out"
    process = _derive(
        "exercises", "--count", "30", "-o", str(out),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    helpers: list[int] = []
    while time.monotonic() < deadline and not any(_children(h) for h in helpers):
        helpers = _children(process.pid)
        time.sleep(0.01)
    everyone = helpers + [c for h in helpers for c in _children(h)]
    assert len(everyone) > len(helpers), "no helper forked a copy"
    process.kill()
    process.wait(timeout=10)
    _assert_gone(everyone)
    assert not out.exists()


def test_parts_come_back_in_order_from_the_first_free_helper():
    # a fresh process (forked helpers); parts of very unequal length, more than helpers
    script = (
        "import io, json\n"
        "from pypdf import PdfReader\n"
        "from derive.typeset.fonts import linked_css\n"
        "from derive.typeset.pdf import PdfRenderer\n"
        "renderer = PdfRenderer(2)\n"
        "pages = [1, 12, 1, 1, 6, 1]\n"
        "css = linked_css() + ' body { font-family: NanumGothic }'\n"  # no system font needed
        "requests = (('<p>part %d</p>' % n + '<p style=\"break-before: page\">x</p>' * (k - 1),"
        " css) for n, k in enumerate(pages))\n"
        "got = []\n"
        "rest = renderer.render_parts(requests, got.append)\n"
        "rest()\n"
        "print(json.dumps([[len(PdfReader(io.BytesIO(p)).pages),"
        " PdfReader(io.BytesIO(p)).pages[0].extract_text()] for p in got]))\n"
    )
    result = _python(script, timeout=120)
    assert result.stderr == ""
    got = json.loads(result.stdout)
    assert got == [[k, f"part {n}"] for n, k in enumerate([1, 12, 1, 1, 6, 1])]


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
    # a fresh process (forked helpers). Three pages of 0.5 MB, each a PDF of 0.4 MB, for one
    # PDF helper; and fonts cut for 3 MB of text in 3,000 Korean syllables, asked three times
    # before any answer is read: requests and answers bigger than a pipe, which would leave
    # this process and a helper each waiting for the other
    script = (
        "import base64, io, random\n"
        "from PIL import Image\n"
        "from derive.typeset.html import HtmlRenderer\n"
        "from derive.typeset.pdf import PdfRenderer\n"
        "rng = random.Random(2026)\n"
        "noise = Image.frombytes('L', (640, 640), rng.randbytes(640 * 640))\n"
        "png = io.BytesIO()\n"
        "noise.save(png, 'PNG')\n"
        "data = base64.b64encode(png.getvalue()).decode()\n"
        "page = '<img src=\"data:image/png;base64,%s\">' % data\n"
        "pdfs = PdfRenderer(1)\n"
        "waits = [pdfs.render(page + '<p>%d</p>' % n, '') for n in range(3)]\n"
        "print([len(wait()) > 400_000 for wait in waits])\n"
        "words = ''.join(chr(0xAC00 + k) for k in range(3000)) * 350\n"
        "fonts = HtmlRenderer()\n"
        "waits = [fonts.word_fonts(words + str(n)) for n in range(3)]\n"
        "print([len(wait()) > 300_000 for wait in waits])\n"
    )
    result = _python(script, timeout=120)
    assert result.stdout.split("\n")[:2] == ["[True, True, True]"] * 2, result.stderr


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

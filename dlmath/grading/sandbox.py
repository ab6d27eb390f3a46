"""The throwaway sandbox one submission runs in: bubblewrap, with limits for the whole submission.

Each submission runs in a new `bubblewrap <https://github.com/containers/bubblewrap>`_
sandbox (Debian's ``bwrap``) built from an *allow-list*: the system's programs
and libraries (``/usr``), a few files of ``/etc`` that programs need to start,
the Python installation and virtual environment that run the course, and the
``dlmath`` package, all read-only. Nothing of the course folder, the solutions,
the gradebook, the grader's own files or other students' work is there. The
sandbox has its own empty ``/tmp`` and home folder, no network, its own process,
IPC, UTS and user namespaces (the student's code runs as ``nobody``, with no
capabilities), and it dies with the grader.

The whole submission (the runner, its kernel and anything they start) is put in
a control group of its own, which limits its memory (children and ``mmap``
included) and its number of processes; every process gets a CPU-time and a
file-size limit, and the grader kills the group when the submission ends, so
nothing the student's code started outlives it.

:func:`check_available` says what is missing when the sandbox cannot be built;
``dlmath grade`` then stops with that message, unless the instructor asked for
``--sandbox off``.
"""

from __future__ import annotations

import json
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import wire

BWRAP = "bwrap"
NOBODY = 65534
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
             "hosts", "fonts", "ssl", "ca-certificates", "mime.types", "alternatives", "matplotlibrc")
PASS_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                    "MKL_NUM_THREADS", "LANG", "TZ")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be built on this machine; the message names what is missing."""


@dataclass
class Limits:
    """The limits of one submission."""

    memory_mb: int = 4096
    processes: int = 512
    cpu_seconds: int = 3600
    file_mb: int = 512


# ---------------------------------------------------------------------------
# Control groups (memory and processes of the whole submission)
# ---------------------------------------------------------------------------

def _own_cgroup(controller: str) -> Path | None:
    """This process's folder in the cgroup-v1 hierarchy of ``controller``, or in cgroup v2 ("")."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller == "" and controllers == "" and Path("/sys/fs/cgroup/cgroup.controllers").exists():
            return Path("/sys/fs/cgroup") / path.lstrip("/")
        if controller and controller in controllers.split(","):
            return Path("/sys/fs/cgroup") / controllers / path.lstrip("/")
    return None


class ControlGroup:
    """The control groups of one submission: memory and process count limited, killed as a whole."""

    made: list[Path] = []   # every folder this process made, for the tests to check that none is left

    def __init__(self, limits: Limits):
        self.folders: list[Path] = []
        name = f"dlmath-grade-{uuid.uuid4().hex[:12]}"
        memory, pids = _own_cgroup("memory"), _own_cgroup("pids")
        try:
            if memory is not None and pids is not None and memory.is_dir() and pids.is_dir():
                self._make(memory / name, {"memory.limit_in_bytes": limits.memory_mb * 2**20})
                swap = memory / name / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(limits.memory_mb * 2**20))
                self._make(pids / name, {"pids.max": limits.processes})
            else:
                unified = _own_cgroup("")
                if unified is None:
                    raise SandboxUnavailable("no control groups (cgroup v1 memory and pids, or cgroup v2) on this machine")
                self._make(unified / name, {"memory.max": limits.memory_mb * 2**20, "memory.swap.max": 0,
                                            "pids.max": limits.processes})
        except OSError as error:
            self.remove()
            raise SandboxUnavailable(f"cannot create a control group to limit memory and processes ({error}); "
                                     "run as root, or in a delegated cgroup v2 subtree") from None

    def _make(self, folder: Path, settings: dict) -> None:
        folder.mkdir()
        self.folders.append(folder)
        ControlGroup.made.append(folder)
        for key, value in settings.items():
            setting = folder / key
            if setting.exists():
                setting.write_text(str(value))
            elif key in ("memory.max", "memory.limit_in_bytes", "pids.max"):
                raise OSError(f"{setting} does not exist (controller not enabled)")

    def enter(self) -> None:
        """Put the calling process in the groups (called in the child before it starts bwrap)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def processes(self) -> set[int]:
        pids = set()
        for folder in self.folders:
            try:
                pids.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return pids

    def out_of_memory(self) -> bool:
        """Whether the kernel had to kill something of the submission for lack of memory."""
        for folder in self.folders:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
                try:
                    for line in (folder / name).read_text().splitlines():
                        word, _, count = line.partition(" ")
                        if word == key and int(count) > 0:
                            return True
                except (OSError, ValueError):
                    pass
        return False

    def kill(self, wait: float = 10.0) -> None:
        """Kill every process of the submission and wait until none is left."""
        deadline = time.monotonic() + wait
        while True:
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)

    def remove(self) -> None:
        for folder in reversed(self.folders):
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
        self.folders = []


# ---------------------------------------------------------------------------
# What the sandbox may see
# ---------------------------------------------------------------------------

def check_available() -> None:
    """Raise :class:`SandboxUnavailable` naming what is missing to build the sandbox here."""
    if sys.platform != "linux":
        raise SandboxUnavailable("the grading sandbox needs Linux (bubblewrap and control groups)")
    if shutil.which(BWRAP) is None:
        raise SandboxUnavailable("bubblewrap is not installed: `apt-get install bubblewrap` (Debian/Ubuntu), "
                                 "or grade with --sandbox off on a machine you can afford to lose")
    probe = subprocess.run([BWRAP, *_system_binds(), "--unshare-all", "--uid", str(NOBODY), "--gid", str(NOBODY),
                            "--proc", "/proc", "--dev", "/dev", "--die-with-parent", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create namespaces here: {probe.stderr.strip()[:300]} "
                                 "(unprivileged user namespaces may be disabled; run as root)")
    ControlGroup(Limits()).remove()


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def _python_binds() -> list[str]:
    """The Python installation, the virtual environment and the dlmath package, read-only."""
    import dlmath

    places = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(dlmath.__file__).resolve().parent}
    executable = Path(sys.executable)
    while executable.is_symlink():  # a venv's python is a link into the installation
        executable = (executable.parent / os.readlink(executable))
        places.add(executable.resolve().parent.parent)
    args = []
    for place in sorted(places, key=lambda p: len(p.parts)):
        if any(place != other and other in place.parents for other in places):
            continue  # inside another bound folder already
        args += ["--ro-bind", str(place), str(place)]
    return args


def bwrap_command(io: Path, command: list[str]) -> list[str]:
    """The bubblewrap command line for ``command``, with ``io`` (the job's files) read-only at /io."""
    environment = {"HOME": "/tmp/home", "TMPDIR": "/tmp", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                   "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8",
                   "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "JUPYTER_PLATFORM_DIRS": "1",
                   "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    environment.update({key: os.environ[key] for key in PASS_ENVIRONMENT if key in os.environ})
    args = [BWRAP, "--clearenv", "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", str(NOBODY), "--gid", str(NOBODY), "--cap-drop", "ALL", "--hostname", "grading",
            *_system_binds(),
            "--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu",
            "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp", "--dir", "/tmp/home", "--dir", "/tmp/work",
            *_python_binds(),
            "--ro-bind", str(io), "/io",
            "--chdir", "/tmp/work"]
    for key, value in environment.items():
        args += ["--setenv", key, value]
    return [*args, *command]


# ---------------------------------------------------------------------------
# Running a submission
# ---------------------------------------------------------------------------

class SandboxTimeout(Exception):
    """The sandbox did not answer in time."""


class SandboxGone(Exception):
    """The sandbox ended (its kernel crashed, or it was killed)."""


class Sandbox:
    """One running sandbox: the runner started on a job, and its protocol pipes.

    Use as a context manager; leaving it kills everything the submission started.
    With ``isolate=False`` the runner runs as a plain subprocess (``--sandbox off``).
    """

    def __init__(self, io: Path, limits: Limits, *, isolate: bool = True):
        self.io = io
        self.limits = limits
        self.isolate = isolate
        self.group: ControlGroup | None = None
        self.process: subprocess.Popen | None = None
        self._frames: queue.Queue = queue.Queue()
        self.log = io.parent / "sandbox.log"

    def __enter__(self):
        runner = [sys.executable, "-I", "-m", "dlmath.grading.runner", "/io/job.json"]
        if self.isolate:
            self.group = ControlGroup(self.limits)
            command = bwrap_command(self.io, runner)
        else:
            command = [sys.executable, "-I", "-m", "dlmath.grading.runner", str(self.io / "job.json")]
        group, limits = self.group, self.limits

        def prepare_child():  # runs in the child, before bwrap starts
            if group is not None:
                group.enter()
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * 2**20, limits.file_mb * 2**20))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        environment = None
        if not self.isolate:
            environment = {**os.environ, "HOME": str(self.io.parent / "home"), "TMPDIR": str(self.io.parent / "tmp"),
                           "MPLBACKEND": "Agg"}
            for key in ("HOME", "TMPDIR"):
                Path(environment[key]).mkdir(exist_ok=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                            preexec_fn=prepare_child, start_new_session=True, env=environment,
                                            cwd=str(self.io.parent))
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        try:
            while True:
                self._frames.put(wire.read_frame(self.process.stdout))
        except (EOFError, wire.WireError, OSError, ValueError) as error:
            self._frames.put(error)

    def receive(self, timeout: float) -> dict:
        """The next message of the runner; ``SandboxTimeout`` or ``SandboxGone`` when there is none."""
        try:
            frame = self._frames.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise SandboxTimeout() from None
        if isinstance(frame, Exception):
            self._frames.put(frame)  # every later receive ends the same way
            raise SandboxGone(str(frame))
        return frame

    def send(self, message: dict) -> None:
        try:
            wire.write_frame(self.process.stdin, message)
        except (BrokenPipeError, OSError, ValueError) as error:
            raise SandboxGone(str(error)) from None

    def out_of_memory(self) -> bool:
        return self.group is not None and self.group.out_of_memory()

    def __exit__(self, *exc) -> None:
        process = self.process
        if process is not None:
            try:
                if process.poll() is None:
                    try:
                        self.send({"op": "quit"})
                        process.wait(timeout=3)
                    except (SandboxGone, subprocess.TimeoutExpired):
                        pass
            finally:
                if process.poll() is None:
                    try:
                        os.killpg(process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                process.wait()
                for stream in (process.stdin, process.stdout):
                    try:
                        stream.close()
                    except OSError:
                        pass
        if self.group is not None:
            self.group.kill()
            self.group.remove()
        elif process is not None:
            _kill_session(process.pid)


def _kill_session(session: int) -> None:
    """Without a control group (``--sandbox off``): kill what is left of the runner's session."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) == session:
                os.kill(int(entry.name), signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def write_job(io: Path, notebook_name: str, timeout: int, setup_timeout: int, *, isolate: bool = True) -> None:
    """The runner's job file: which notebook to run, where, and the cell time limits."""
    if isolate:
        source, work = f"/io/{notebook_name}", "/tmp/work"
    else:
        source, work = str(io / notebook_name), str(io.parent / "work")
    job = {"source": source, "notebook": notebook_name, "work": work,
           "timeout": timeout, "setup_timeout": setup_timeout}
    (io / "job.json").write_text(json.dumps(job), encoding="utf-8")

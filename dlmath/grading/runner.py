"""The sandbox side of grading one submission: run the notebook, then answer requests.

Started by :mod:`dlmath.grading.sandbox` inside the sandbox as::

    python -I -m dlmath.grading.runner /io/job.json

It runs the student's notebook with nbclient in a fresh IPython kernel (every
code cell in order, errors allowed, each cell under its time limit), reports how
each cell went, then reads requests from the trusted grader on standard input
and answers each one on its own protocol stream by executing one harness cell in
the same kernel (:mod:`dlmath.grading.harness`). It never judges: it passes data
both ways (:mod:`dlmath.grading.wire`).

The kernel does not inherit the protocol stream: the runner keeps a private copy
of its standard output and points the file descriptors the kernel inherits at a
log file, so nothing the student's code prints can reach the grader.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from . import wire

HARNESS_CELL = '__import__("dlmath.grading.harness", fromlist=["answer"]).answer({request!r}, {response!r})'
KERNEL_NAME = "dlmath-grading"
MAX_RESPONSE = wire.MAX_FRAME // 2
MAX_NOTEBOOK = 20 * 2**20   # characters of the executed notebook sent back for the student's feedback


def _protocol_stream():
    """A private copy of standard output for frames; fds 1 and 2 then go to a log file."""
    protocol = os.fdopen(os.dup(1), "wb", buffering=0)
    log = os.open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "runner.log"),
                  os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    return protocol


def _interrupt(client) -> None:
    """Interrupt the kernel (the kernel manager's method is a coroutine in nbclient's manager)."""
    from jupyter_core.utils import ensure_async, run_sync

    async def interrupt():
        await ensure_async(client.km.interrupt_kernel())

    run_sync(interrupt)()


def _kernel_spec(home: Path) -> None:
    """A kernel spec that starts this Python isolated: the current folder can shadow nothing."""
    folder = home / ".local" / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-I", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "dlmath grading", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    protocol = _protocol_stream()
    requests = sys.stdin.buffer

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    home = Path(os.environ["HOME"])
    _kernel_spec(home)
    work = Path(job["work"])
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(job["source"], work / job["notebook"])
    nb = nbformat.read(work / job["notebook"], as_version=4)

    def timeout_for(cell):
        tags = cell.metadata.get("tags", [])
        return job["setup_timeout"] if "setup" in tags else job["timeout"]

    client = NotebookClient(nb, kernel_name=KERNEL_NAME, allow_errors=True, timeout_func=timeout_for,
                            interrupt_on_timeout=False, record_timing=False, startup_timeout=120,
                            resources={"metadata": {"path": str(work)}})
    cells = []
    crashed = False
    started = time.monotonic()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                status, ename = "ok", ""
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    status = "timeout"
                    _interrupt(client)
                except DeadKernelError:
                    status, crashed = "crashed", True
                if status == "ok":
                    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
                    if errors:
                        status, ename = "error", str(errors[0].get("ename", ""))[:200]
                cells.append({"index": index, "status": status, "ename": ename})
                if crashed:
                    break
            executed = nbformat.writes(nb)
            # nbclient stores an executed cell at its index: the grader's cells get a place of their own
            nb.cells.append(nbformat.v4.new_code_cell(""))
            scratch = len(nb.cells) - 1
            if not crashed:  # load the harness before the first request, outside any request's time
                try:
                    client.execute_cell(nbformat.v4.new_code_cell('__import__("dlmath.grading.harness")'), scratch,
                                        store_history=False)
                except CellTimeoutError:
                    _interrupt(client)
            wire.write_frame(protocol, {"event": "executed", "cells": cells, "crashed": crashed,
                                        "seconds": round(time.monotonic() - started, 3),
                                        "notebook": executed if len(executed) <= MAX_NOTEBOOK else ""})
            if not crashed:
                _serve(client, scratch, requests, protocol, CellTimeoutError, DeadKernelError)
    except DeadKernelError:
        wire.write_frame(protocol, {"event": "executed", "cells": cells, "crashed": True})
    return 0


def _serve(client, index, requests, protocol, CellTimeoutError, DeadKernelError) -> None:
    """Answer the grader's requests, one harness cell each, until it says quit or the kernel dies."""
    import nbformat

    io = Path(os.environ.get("TMPDIR", "/tmp")) / "requests"
    io.mkdir(exist_ok=True)
    number = 0
    while True:
        try:
            request = wire.read_frame(requests)
        except EOFError:
            return
        if request.get("op") == "quit":
            return
        number += 1
        request_file, response_file = io / f"request-{number}.json", io / f"response-{number}.json"
        request_file.write_text(json.dumps(request), encoding="utf-8")
        cell = nbformat.v4.new_code_cell(HARNESS_CELL.format(request=str(request_file), response=str(response_file)))
        try:
            client.execute_cell(cell, index, store_history=False)
        except CellTimeoutError:
            _interrupt(client)
            wire.write_frame(protocol, {"event": "timeout"})
            continue
        except DeadKernelError:
            wire.write_frame(protocol, {"event": "crashed"})
            return
        try:
            if response_file.stat().st_size > MAX_RESPONSE:
                raise ValueError("the answer is larger than the limit")
            response = json.loads(response_file.read_text(encoding="utf-8"))
            if not isinstance(response, dict) or "value" not in response:
                raise ValueError("not an answer")
        except (OSError, ValueError) as error:
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            detail = f"{errors[0].get('ename')}: {errors[0].get('evalue')}" if errors else str(error)
            wire.write_frame(protocol, {"event": "failed", "detail": detail[:1000]})
            continue
        wire.write_frame(protocol, {"event": "response", "value": response["value"]})


if __name__ == "__main__":
    sys.exit(main())

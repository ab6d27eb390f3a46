"""Every stored notebook re-executes, offline, to the outputs it was stored with.

Each notebook runs here in a fresh kernel whose every network connection off
this machine is refused and logged (tests/offline/sitecustomize.py, plus an
unreachable HTTP(S) proxy). The test passes only if nothing tried the network
and the sanitized outputs equal the stored ones. The stored outputs were made by
another fresh execution (`make execute`), and nbval re-executes every chapter
once more in `make test`: so two independent fresh runs both reproduce them.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from notebook_outputs import differences

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*/*.ipynb"))


def offline_environment(log: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "tests" / "offline"), env.get("PYTHONPATH")]))
    env["DLMATH_NETWORK_LOG"] = str(log)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env[name] = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env["NO_PROXY"] = env["no_proxy"] = "localhost,127.0.0.1"
    return env


@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(ROOT).as_posix() for p in NOTEBOOKS])
def test_reexecutes_offline_to_the_stored_outputs(path, tmp_path):
    stored = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    log = tmp_path / "network.log"
    client = NotebookClient(fresh, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=offline_environment(log))
    attempts = log.read_text().splitlines() if log.exists() else []
    assert not attempts, f"{path.name} tried to use the network: {attempts[:5]}"
    problems = differences(stored, fresh)
    assert not problems, f"{path.name}: outputs differ from the stored ones\n" + "\n".join(problems[:5])


def test_the_offline_guard_refuses_and_logs(tmp_path):
    """The guard itself works: a kernel that tries to connect out is refused and logged."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('203.0.113.7', 80), timeout=2)\n"
        "    print('connected')\n"
        "except OSError as error:\n"
        "    print('refused')\n"
        "try:\n"
        "    socket.getaddrinfo('example.org', 443)\n"
        "except OSError:\n"
        "    print('look-up refused')\n")]
    log = tmp_path / "network.log"
    NotebookClient(nb, timeout=60, kernel_name="python3").execute(env=offline_environment(log))
    assert nb.cells[0].outputs[0]["text"] == "refused\nlook-up refused\n"
    logged = log.read_text()
    assert "203.0.113.7" in logged and "example.org" in logged

"""Loaded by every Python process started with this folder on PYTHONPATH (the
offline test's kernels). It refuses every network connection that does not go to
this machine, and writes each attempt to the file named by DLMATH_NETWORK_LOG, so
the test can say exactly what tried to download."""

import os
import socket

_LOG = os.environ.get("DLMATH_NETWORK_LOG")
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0")


def _is_local(address) -> bool:
    if isinstance(address, (tuple, list)) and address:
        host = str(address[0])
    else:  # a Unix socket path
        return True
    return host.startswith(_LOCAL) or host == ""


def _record(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(what + "\n")


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


def connect(self, address):
    if not _is_local(address):
        _record(f"connect {address!r}")
        raise OSError(101, f"network disabled by the offline test: connect to {address!r}")
    return _connect(self, address)


def connect_ex(self, address):
    if not _is_local(address):
        _record(f"connect_ex {address!r}")
        return 101
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if host is not None and not str(host).startswith(_LOCAL) and str(host) not in ("", "localhost"):
        _record(f"getaddrinfo {host!r}")
        raise socket.gaierror(-3, f"network disabled by the offline test: look-up of {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
socket.getaddrinfo = getaddrinfo

"""Fixtures for the reliability tests: a network blocker that records every attempt."""

from __future__ import annotations

import socket

import pytest


class NetworkAttempts(list):
    """Every attempted connection or name lookup, as (call, target) tuples."""


@pytest.fixture
def no_network(monkeypatch):
    """Block and record outbound connections and DNS lookups for the test's duration.

    ``socket.connect``/``connect_ex``/``create_connection``/``getaddrinfo``/
    ``gethostbyname`` all raise ``OSError`` and append to the returned list.
    Local AF_UNIX sockets (used by some libraries for IPC) are allowed.
    """
    attempts = NetworkAttempts()

    def _blocked(name):
        def fake(*args, **kwargs):
            target = args[1] if len(args) > 1 else (args[0] if args else kwargs)
            if name in ("connect", "connect_ex") and args and \
                    getattr(args[0], "family", None) == getattr(socket, "AF_UNIX", None):
                return real[name](*args, **kwargs)
            attempts.append((name, repr(target)))
            raise OSError(f"network blocked by test: {name}({target!r})")
        return fake

    real = {"connect": socket.socket.connect, "connect_ex": socket.socket.connect_ex}
    monkeypatch.setattr(socket.socket, "connect", _blocked("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", _blocked("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", _blocked("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", _blocked("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", _blocked("gethostbyname"))
    monkeypatch.setattr(socket, "gethostbyname_ex", _blocked("gethostbyname_ex"))
    yield attempts


def pytest_terminal_summary(terminalreporter):
    """Print how many fuzzed inputs each loader was given (for the closing note)."""
    import sys

    relhelp = sys.modules.get("relhelp")
    tried = getattr(relhelp, "TRIED", None)
    if tried:
        total = sum(tried.values())
        terminalreporter.write_sep("-", f"hotmap fuzz: {total:,} inputs tried")
        for target, n in sorted(tried.items()):
            terminalreporter.write_line(f"  {target:28s} {n:7,}")

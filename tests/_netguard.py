"""Offline guard for the test run: any internet socket connect or name lookup raises
:class:`NetworkBlocked` and is recorded, and the autouse fixture in conftest.py fails the
test that made it.  Local (AF_UNIX) sockets are allowed."""

from __future__ import annotations

import socket


class NetworkBlocked(RuntimeError):
    pass


_ALLOWED_FAMILIES = {getattr(socket, "AF_UNIX", None)}
NETWORK_ATTEMPTS: list[str] = []


def _guard(original):
    def guarded(self, address, *args, **kwargs):
        if self.family not in _ALLOWED_FAMILIES:
            NETWORK_ATTEMPTS.append(repr(address))
            raise NetworkBlocked(f"dvcoord tests are offline: attempted connection to {address!r}")
        return original(self, address, *args, **kwargs)

    return guarded


def install_network_guard() -> None:
    socket.socket.connect = _guard(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guard(socket.socket.connect_ex)  # type: ignore[method-assign]
    original_gai = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1", ""):
            NETWORK_ATTEMPTS.append(f"getaddrinfo({host!r})")
            raise NetworkBlocked(f"dvcoord tests are offline: attempted lookup of {host!r}")
        return original_gai(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo

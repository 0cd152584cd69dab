"""What the proxy needs to know of the host's network: the address of the Docker bridge
(``docker0``), where containers reach the host, so the proxy can listen there too.

Read with the ``SIOCGIFADDR`` ioctl (no root, no Docker API call); None when the interface
does not exist (no Docker, or Docker Desktop, where containers reach the host otherwise).
Called by the daemon and ``minikube-py proxy`` when they build the :class:`Proxier`.
"""

from __future__ import annotations

import fcntl
import socket
import struct

SIOCGIFADDR = 0x8915
DOCKER_BRIDGE = "docker0"


def interface_address(name: str = DOCKER_BRIDGE) -> str | None:
    """The IPv4 address of a network interface, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            packed = fcntl.ioctl(sock.fileno(), SIOCGIFADDR,
                                 struct.pack("256s", name.encode()[:15]))
        except OSError:
            return None
    return socket.inet_ntoa(packed[20:24])

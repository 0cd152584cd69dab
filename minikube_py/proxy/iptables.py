"""Rules that make cluster IPs work on this machine, owned by the daemon's proxy
(kube-proxy's userspace mode redirected the same way). Plan: docs/ARCHITECTURE.md "Service
addresses".

Two chains, and nothing else of the host's network is touched:

- ``nat`` :data:`CHAIN`: ``CLUSTER-IP:PORT`` (tcp) -> DNAT to the proxy's listener on the
  Docker bridge gateway, one rule per Service port. Jumped to from ``PREROUTING`` for
  packets entering from the bridge (pods) and from ``OUTPUT`` (host processes), both only
  for destinations in the service range.
- ``filter`` :data:`REJECT_CHAIN`: any other address of the service range is rejected
  (``FORWARD`` and ``OUTPUT``), so a missing rule fails fast instead of sending packets to
  the default gateway: service addresses never leave the machine.

They are created at ``setup`` (replacing leftovers of a daemon that died), rewritten as one
``iptables-restore --noflush`` transaction when the Service ports change, and removed at
``teardown``. One daemon per machine owns them (an exclusive ``flock`` on
:data:`LOCK_FILE`); without root, without ``iptables`` or without the lock, ``setup`` logs
one warning saying what does not work and the rules stay off (the host URLs work anyway).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import shutil
from collections.abc import Iterable
from typing import NamedTuple

log = logging.getLogger(__name__)

CHAIN = "MINIKUBE-PY-SERVICES"
REJECT_CHAIN = "MINIKUBE-PY-REJECT"
LOCK_FILE = "/run/minikube-py-service-rules.lock"


class Redirect(NamedTuple):
    """``cluster_ip:port`` is served by the proxy's bridge listener ``to_port``."""

    cluster_ip: str
    port: int
    to_port: int


class IptablesError(Exception):
    """An iptables command failed (its stderr is the message)."""


class ServiceRules:
    """The daemon's rules for one service range, bridge interface and gateway address."""

    def __init__(self, *, service_cidr: str, gateway: str, interface: str = "docker0",
                 iptables: str = "iptables", lock_file: str = LOCK_FILE) -> None:
        self.service_cidr = service_cidr
        self.gateway = gateway
        self.interface = interface
        self.iptables = iptables
        self.lock_file = lock_file
        self.active = False
        self.problem = ""  # why the rules are off, when they are
        self._lock: int | None = None
        self._applied: tuple[Redirect, ...] | None = None

    # -- the jumps from the built-in chains ---------------------------------------------------

    def _jumps(self) -> list[tuple[str, str, list[str]]]:
        dst = ["-d", self.service_cidr]
        return [("nat", "PREROUTING", ["-i", self.interface, *dst, "-j", CHAIN]),
                ("nat", "OUTPUT", [*dst, "-j", CHAIN]),
                ("filter", "FORWARD", [*dst, "-j", REJECT_CHAIN]),
                ("filter", "OUTPUT", [*dst, "-j", REJECT_CHAIN])]

    async def setup(self) -> None:
        """Take ownership and create the chains; on failure log why, once, and stay off."""
        why = self._unavailable()
        if why:
            self.problem = why
            log.warning("service rules off: %s; cluster IPs are unreachable from pods and "
                        "the host (Service URLs on 127.0.0.1 and NodePorts still work)", why)
            return
        try:
            await self._remove_jumps()
            await self._restore(())
            for table, chain, spec in self._jumps():
                await self._run("-t", table, "-I", chain, "1", *spec)
        except IptablesError as err:
            self.problem = f"iptables failed: {err}"
            log.warning("service rules off: %s", self.problem)
            await self._cleanup()
            self._release()
            return
        self.active = True
        log.info("service rules on: %s redirected to the proxy on %s (chains %s, %s)",
                 self.service_cidr, self.gateway, CHAIN, REJECT_CHAIN)

    def _unavailable(self) -> str:
        if os.geteuid() != 0:
            return "not running as root"
        if shutil.which(self.iptables) is None or shutil.which(f"{self.iptables}-restore") is None:
            return f"{self.iptables} is not installed"
        try:
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            return f"cannot open {self.lock_file}: {err}"
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return f"another minikube-py daemon owns the service rules ({self.lock_file})"
        self._lock = fd
        return ""

    async def sync(self, redirects: Iterable[Redirect]) -> None:
        """Make the nat chain hold exactly these redirects (no command when unchanged)."""
        if not self.active:
            return
        wanted = tuple(sorted(set(redirects)))
        if wanted == self._applied:
            return
        try:
            await self._restore(wanted)
        except IptablesError as err:
            log.error("service rules: sync failed: %s", err)
            self._applied = None
            return

    async def teardown(self) -> None:
        """Remove every rule and chain this daemon made."""
        if self.active:
            await self._cleanup()
            self.active = False
        self._release()

    # -- helpers -----------------------------------------------------------------------------

    def restore_input(self, redirects: Iterable[Redirect]) -> str:
        """The ``iptables-restore --noflush`` text declaring (so flushing) both chains."""
        lines = ["*nat", f":{CHAIN} - [0:0]"]
        for r in redirects:
            lines.append(f"-A {CHAIN} -d {r.cluster_ip}/32 -p tcp -m tcp --dport {r.port} "
                         f"-j DNAT --to-destination {self.gateway}:{r.to_port}")
        lines += ["COMMIT", "*filter", f":{REJECT_CHAIN} - [0:0]",
                  f"-A {REJECT_CHAIN} -d {self.service_cidr} -j REJECT", "COMMIT", ""]
        return "\n".join(lines)

    async def _restore(self, redirects: tuple[Redirect, ...]) -> None:
        await self._exec([f"{self.iptables}-restore", "--noflush"],
                         self.restore_input(redirects).encode())
        self._applied = redirects

    async def _remove_jumps(self) -> None:
        for table, chain, spec in self._jumps():
            while True:
                try:
                    await self._run("-t", table, "-D", chain, *spec)
                except IptablesError:
                    break

    async def _cleanup(self) -> None:
        await self._remove_jumps()
        for table, chain in (("nat", CHAIN), ("filter", REJECT_CHAIN)):
            for op in ("-F", "-X"):
                try:
                    await self._run("-t", table, op, chain)
                except IptablesError:
                    pass
        self._applied = None

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    async def _run(self, *args: str) -> None:
        await self._exec([self.iptables, "-w", *args], None)

    @staticmethod
    async def _exec(argv: list[str], stdin: bytes | None) -> None:
        pipe = asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=pipe, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate(stdin)
        if proc.returncode != 0:
            raise IptablesError(err.decode(errors="replace").strip() or f"exit {proc.returncode}")

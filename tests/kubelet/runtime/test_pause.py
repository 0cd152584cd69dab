"""The generated pause program: a valid static ELF that blocks, exits 0 on SIGTERM, dies on KILL.

The program is run on the host directly when the host's architecture matches, and the aarch64
one under qemu-aarch64-static when that is installed; in Docker it is tested as a sandbox in
test_docker_runtime.py.
"""

from __future__ import annotations

import io
import platform
import shutil
import signal
import struct
import subprocess
import tarfile
from pathlib import Path

import pytest

from minikube_py.kubelet.runtime.errors import ContainerRuntimeError
from minikube_py.kubelet.runtime.pause import (
    BASE_ADDRESS,
    EM_AARCH64,
    EM_X86_64,
    pause_executable,
    pause_rootfs,
)

ARCHES = [pytest.param("x86_64", EM_X86_64, id="x86_64"),
          pytest.param("aarch64", EM_AARCH64, id="aarch64")]


@pytest.mark.parametrize(("arch", "machine"), ARCHES)
def test_elf_header(arch: str, machine: int) -> None:
    """The file is a 64-bit little-endian ET_EXEC for the machine, one PT_LOAD covering it all."""
    elf = pause_executable(arch)
    assert elf[:6] == b"\x7fELF\x02\x01"
    e_type, e_machine, _, entry, phoff = struct.unpack_from("<HHIQQ", elf, 16)
    assert (e_type, e_machine, phoff) == (2, machine, 64)
    p_type, p_flags, offset, vaddr, _, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", elf, 64)
    assert (p_type, p_flags, offset, vaddr) == (1, 5, 0, BASE_ADDRESS)
    assert filesz == memsz == len(elf) < 512
    assert BASE_ADDRESS + 120 == entry


def test_unsupported_architecture_is_a_clear_error() -> None:
    """Asking for another architecture says which ones exist and what to do instead."""
    with pytest.raises(ContainerRuntimeError, match="only x86_64 and aarch64"):
        pause_executable("riscv64")


def test_rootfs_holds_only_the_program() -> None:
    """The image's root file system is one executable file, /pause."""
    with tarfile.open(fileobj=io.BytesIO(pause_rootfs("x86_64"))) as tar:
        [member] = tar.getmembers()
        assert (member.name, member.mode, member.isfile()) == ("pause", 0o755, True)
        assert tar.extractfile(member).read() == pause_executable("x86_64")  # type: ignore[union-attr]


def _runner(arch: str) -> list[str] | None:
    if platform.machine().lower() in {arch, {"x86_64": "amd64", "aarch64": "arm64"}[arch]}:
        return []
    qemu = shutil.which(f"qemu-{arch}-static")
    return [qemu, "-strace"] if qemu else None


def _wait_for_handlers(proc: subprocess.Popen[bytes], *, emulated: bool) -> None:
    """Block until the program has installed its SIGTERM and SIGINT handlers."""
    if emulated:  # qemu -strace prints each system call once it returned
        assert proc.stderr is not None
        while b"rt_sigaction(SIGINT" not in proc.stderr.readline():
            assert proc.poll() is None
        return
    caught = 0
    while caught & _TERM_AND_INT != _TERM_AND_INT:  # the kernel's mask of handled signals
        assert proc.poll() is None
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                caught = int(line.split()[1], 16)


_TERM_AND_INT = 1 << (signal.SIGTERM - 1) | 1 << (signal.SIGINT - 1)


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
@pytest.mark.parametrize(("sig", "code"), [
    pytest.param(signal.SIGTERM, 0, id="sigterm-exits-0"),
    pytest.param(signal.SIGINT, 0, id="sigint-exits-0"),
    pytest.param(signal.SIGKILL, -signal.SIGKILL, id="sigkill-kills"),
])
def test_program_blocks_until_signalled(
    tmp_path: Path, arch: str, sig: signal.Signals, code: int,
) -> None:
    """Once its handlers are in place the program blocks, and ends as the signal says."""
    runner = _runner(arch)
    if runner is None:
        pytest.skip(f"cannot run {arch} code here (no qemu-{arch}-static)")
    program = tmp_path / "pause"
    program.write_bytes(pause_executable(arch))
    program.chmod(0o755)
    with subprocess.Popen([*runner, str(program)], stderr=subprocess.PIPE) as proc:
        _wait_for_handlers(proc, emulated=bool(runner))
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.2)  # still blocked: it did not simply return
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == code

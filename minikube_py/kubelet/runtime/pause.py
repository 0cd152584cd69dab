"""The pause image, made by the daemon itself: a static ELF that blocks until it is told to end.

Every pod's sandbox container runs this program; it owns the pod's network namespace, which the
pod's containers join. Kubernetes pulls ``registry.k8s.io/pause``; we have no registry, and we
want no build tool either (no gcc, no busybox), so :func:`pause_executable` writes the machine
code of a ~200-byte program by hand and :func:`pause_rootfs` wraps it in a tar whose only file is
``/pause``. :mod:`.images` imports that tar into Docker on first use.

What the program does (the same on both architectures):

1. installs a handler for SIGTERM and SIGINT that calls ``exit_group(0)``, so ``docker stop``
   ends a sandbox at once instead of waiting for the SIGKILL (a PID 1 without a handler
   ignores both signals);
2. blocks forever: ``pause()`` in a loop on x86_64, ``ppoll(NULL, 0, NULL, NULL)`` in a loop on
   aarch64 (which has no ``pause`` system call).

SIGKILL ends it like any process. The bytes are checked by tests that run the program (in
Docker on x86_64; under ``qemu-aarch64-static`` when that is installed).
"""

from __future__ import annotations

import io
import platform
import struct
import tarfile

from .errors import ContainerRuntimeError

BASE_ADDRESS = 0x400000
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # ELF64 file header
_PHDR = struct.Struct("<IIQQQQQQ")  # ELF64 program header
_HEADERS = _EHDR.size + _PHDR.size  # 120: the code starts right after the headers
_SA_RESTORER = 0x04000000
_SIGINT, _SIGTERM = 2, 15
EM_X86_64, EM_AARCH64 = 62, 183

# Machine names as platform.machine() and Docker spell them, to the ELF machine they run.
_MACHINES = {"x86_64": EM_X86_64, "amd64": EM_X86_64, "aarch64": EM_AARCH64, "arm64": EM_AARCH64}


def _code_x86_64() -> bytes:
    """rt_sigaction(TERM and INT -> exit_group(0)); then loop { pause() }."""
    block = 27  # bytes of one sigaction block
    loop = b"\xb8\x22\x00\x00\x00\x0f\x05\xeb\xf7"  # mov eax,34 (pause); syscall; jmp loop
    handler = b"\xb8\xe7\x00\x00\x00\x31\xff\x0f\x05"  # mov eax,231 (exit_group); xor edi; syscall
    handler_at = 2 * block + len(loop)
    act = _align8(handler_at + len(handler))

    def sigaction(signo: int, here: int) -> bytes:
        # mov eax,13 (rt_sigaction); mov edi,signo; lea rsi,[rip+act]; xor edx,edx;
        # mov r10d,8 (sizeof sigset_t); syscall.  The lea ends 17 bytes into the block.
        return (
            b"\xb8\x0d\x00\x00\x00" + b"\xbf" + struct.pack("<I", signo)
            + b"\x48\x8d\x35" + struct.pack("<i", act - (here + 17))
            + b"\x31\xd2" + b"\x41\xba\x08\x00\x00\x00" + b"\x0f\x05"
        )

    code = sigaction(_SIGTERM, 0) + sigaction(_SIGINT, block) + loop + handler
    # struct kernel_sigaction {handler, flags, restorer, mask}: x86_64 insists on a restorer;
    # ours never runs (the handler exits), so it points at the handler.
    handler_va = BASE_ADDRESS + _HEADERS + handler_at
    return _pad(code, act) + struct.pack("<QQQQ", handler_va, _SA_RESTORER, handler_va, 0)


def _a64(word: int) -> bytes:
    return struct.pack("<I", word)


def _movz(reg: int, imm: int) -> bytes:
    return _a64(0xD2800000 | (imm << 5) | reg)  # movz x<reg>, #imm


def _code_aarch64() -> bytes:
    """rt_sigaction(TERM and INT -> exit_group(0)); then loop { ppoll(NULL, 0, NULL, NULL) }."""
    svc = _a64(0xD4000001)  # svc #0
    block = 24  # bytes of one sigaction block: six instructions
    loop = b"".join(_movz(r, 0) for r in range(4)) + _movz(8, 73) + svc  # ppoll(0, 0, 0, 0)
    loop += _a64(0x14000000 | (-6 & 0x3FFFFFF))  # b loop: six instructions back
    handler = _movz(0, 0) + _movz(8, 94) + svc  # exit_group(0)
    handler_at = 2 * block + len(loop)
    act = _align8(handler_at + len(handler))

    def sigaction(signo: int, here: int) -> bytes:
        # movz x0,signo; adr x1,act; movz x2,0; movz x3,8; movz x8,134 (rt_sigaction); svc
        rel = act - (here + 4)  # adr is the block's second instruction
        adr = 0x10000000 | ((rel & 3) << 29) | (((rel >> 2) & 0x7FFFF) << 5) | 1
        return _movz(0, signo) + _a64(adr) + _movz(2, 0) + _movz(3, 8) + _movz(8, 134) + svc

    code = sigaction(_SIGTERM, 0) + sigaction(_SIGINT, block) + loop + handler
    handler_va = BASE_ADDRESS + _HEADERS + handler_at
    return _pad(code, act) + struct.pack("<QQQQ", handler_va, 0, 0, 0)


def _align8(n: int) -> int:
    return n + (-n % 8)


def _pad(code: bytes, size: int) -> bytes:
    return code + b"\x00" * (size - len(code))


def machine_for(arch: str | None = None) -> int:
    """The ELF machine number for ``arch`` (default: this host's); unsupported ones raise."""
    arch = (arch or platform.machine()).lower()
    try:
        return _MACHINES[arch]
    except KeyError:
        raise ContainerRuntimeError(
            f"cannot make the pause image for architecture {arch!r} (only x86_64 and aarch64); "
            "load a pause image yourself and name it with --pause-image"
        ) from None


def pause_executable(arch: str | None = None) -> bytes:
    """A complete static ELF executable of the pause program for ``arch``."""
    machine = machine_for(arch)
    code = _code_x86_64() if machine == EM_X86_64 else _code_aarch64()
    size = _HEADERS + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\x00" * 8  # 64-bit, little endian, SysV
    ehdr = _EHDR.pack(
        ident, 2, machine, 1, BASE_ADDRESS + _HEADERS, _EHDR.size, 0, 0,
        _EHDR.size, _PHDR.size, 1, 0, 0, 0,
    )  # ET_EXEC, entry right after the headers, one program header, no sections
    phdr = _PHDR.pack(1, 5, 0, BASE_ADDRESS, BASE_ADDRESS, size, size, 0x1000)  # PT_LOAD, R+X
    return ehdr + phdr + code


def pause_rootfs(arch: str | None = None) -> bytes:
    """An uncompressed tar holding only ``/pause`` (mode 0755), for ``docker import``."""
    program = pause_executable(arch)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("pause")
        info.size, info.mode, info.mtime = len(program), 0o755, 0
        tar.addfile(info, io.BytesIO(program))
    return buf.getvalue()

"""A small seccomp-BPF deny-list installed through prctl: no process creation, signalling, tracing,
sockets, namespaces or mounts, whatever else a program manages to reach.

Written with ctypes rather than a binding: the PyPI bindings to libseccomp are thin and rarely
released, while the filter needed here is twenty lines of classic BPF. Syscall numbers are listed for
x86_64 and aarch64 (from the kernel's unistd headers); on another architecture `install` refuses and
the layer is reported unavailable. A denied call fails with EPERM, so Python raises PermissionError.
"""

from __future__ import annotations

import ctypes
import errno
import platform

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
X32_SYSCALL_BIT = 0x40000000
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06

DENIED = (
    "fork", "vfork", "clone", "clone3", "execve", "execveat", "ptrace", "kill", "tkill", "tgkill",
    "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open", "pidfd_send_signal", "pidfd_getfd",
    "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "socket", "socketpair",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "bpf", "userfaultfd", "perf_event_open", "keyctl",
    "add_key", "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register", "personality",
    "kexec_load", "init_module", "finit_module", "delete_module", "reboot",
)
# (audit arch, syscall numbers); aarch64 has no fork/vfork (glibc uses clone).
_X86_64 = dict(zip(DENIED, (
    57, 58, 56, 435, 59, 322, 101, 62, 200, 234, 129, 297, 434, 424, 438, 310, 311, 440, 312, 41, 53,
    272, 308, 165, 166, 155, 161, 428, 429, 430, 431, 432, 433, 442, 321, 323, 298, 250, 248, 249,
    425, 426, 427, 135, 246, 175, 313, 176, 169,
), strict=True))
_AARCH64 = {name: nr for name, nr in zip(DENIED, (
    -1, -1, 220, 435, 221, 281, 117, 129, 130, 131, 138, 240, 434, 424, 438, 270, 271, 440, 272, 198,
    199, 97, 268, 40, 39, 41, 51, 428, 429, 430, 431, 432, 433, 442, 280, 282, 241, 219, 217, 218,
    425, 426, 427, 92, 104, 105, 273, 106, 142,
), strict=True) if nr >= 0}
ARCHITECTURES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def build_filter(machine: str) -> list[tuple[int, int, int, int]]:
    """The BPF program for `machine`: kill on a foreign ABI, EPERM for each denied call, else allow."""
    arch, numbers = ARCHITECTURES[machine]
    program = [(_LD_W_ABS, 0, 0, 4), (_JEQ_K, 1, 0, arch), (_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
               (_LD_W_ABS, 0, 0, 0)]
    if machine == "x86_64":
        program += [(_JGE_K, 0, 1, X32_SYSCALL_BIT), (_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS)]
    for nr in sorted(numbers.values()):
        program += [(_JEQ_K, 0, 1, nr), (_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM)]
    return program + [(_RET_K, 0, 0, SECCOMP_RET_ALLOW)]


def install() -> str | None:
    """Install the filter on the calling thread for good; return why it could not be, or None."""
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        return f"no syscall table for architecture '{machine}'"
    program = build_filter(machine)
    filters = (SockFilter * len(program))(*(SockFilter(*insn) for insn in program))
    fprog = SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"prctl(NO_NEW_PRIVS) failed: {errno.errorcode.get(ctypes.get_errno(), '?')}"
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return f"seccomp filter refused: {errno.errorcode.get(ctypes.get_errno(), '?')}"
    return None

"""The sandbox's child bootstrap: the first code every sandboxed interpreter runs.

    python -I -S -B askbuddyx/sandbox/child.py < config.json

`askbuddyx.sandbox.runner.run_program` starts it that way, as a script; the evaluator imports it
only for its path and constants (tests, to check its parts). Standard library only: it runs
under `-I -S`, with no site-packages and no `askbuddyx` on its path.

The config carries a per-run random token; the reporter writes it to the inherited report fd
once, when the program's code has run to its end. That write is the sandbox's only evidence of
a pass: an exit status, even 0, proves nothing (`sys.exit(0)` before the checks gives one).

In order, before the untrusted program is even read: it takes its config from stdin (then
points fd 0 at /dev/null), sets the rlimits, drops to `nobody` when root (Linux), proves that
fork fails, applies the Landlock file rules where the kernel has them, installs the
completion reporter and the audit-hook guard, and only then compiles and runs the program.
When a containment step fails it runs nothing and says so on the report fd, with the token
(so that no program can fake a refusal and stop the evaluation).

Why the program cannot forge the report (the sandbox module docstring says where this ends):
- the token is never in a namespace or frame the program can read: not in argv, the
  environment, the bootstrap's globals or `main`'s locals, but only among the constants of the
  reporter's code object, and the guard refuses `frame.f_code` on the reporter's frames (a
  signal handler or finalizer can catch such a frame while it runs);
- the reporter reads no globals or builtins (its own empty namespace) and holds the original
  `os.write` and `sys._getframe`, so patching `builtins`, `os`, `sys` or this module changes
  nothing;
- it writes only for the `FINISHED_EVENT` audit event raised from `main`'s own frame, which
  happens after `exec` returned; the program raising that event itself is ignored;
- the usual doors to the process's own memory are shut: Landlock allows no /proc, the guard
  refuses ctypes, mmap, subinterpreters and gc introspection. Hand-made bytecode is a door
  no in-process check shuts (see the sandbox module docstring).
"""

from __future__ import annotations

import json
import os
import resource
import stat
import sys
import types

REFUSED_EXIT = 97  # the bootstrap could not contain the program: nothing of it ran
FINISHED_EVENT = "askbuddyx.sandbox.finished"
# Placeholder among the reporter's constants, replaced by the run's token (make_reporter)
_TOKEN_SLOT = b"\0askbuddyx-sandbox-token-slot\0"


def read_config(fd: int = 0) -> dict:
    """The JSON config the parent wrote to `fd` (stdin), then `fd` points at /dev/null."""
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
    return json.loads(b"".join(chunks))


def make_reporter(token: bytes, fd: int, runner: types.FrameType):
    """The audit hook that writes `token` to `fd` when `runner` raises FINISHED_EVENT.

    Returns (hook, namespace): `namespace` is the hook's globals (empty builtins), by which the
    guard recognises the hook's frames. The token ends up only in the hook's code constants.
    """
    getframe, write, finished = sys._getframe, os.write, FINISHED_EVENT

    def report(event, args):
        # Frame 1 is whoever raised the event. `main` raises it once, after exec returned.
        # The bytes are _TOKEN_SLOT's, as a literal: this function may read no global.
        if event == finished and getframe(1) is runner:
            write(fd, b"\0askbuddyx-sandbox-token-slot\0")

    code = report.__code__
    consts = tuple(token if type(c) is bytes and c == _TOKEN_SLOT else c
                   for c in code.co_consts)
    if consts == code.co_consts:
        raise RuntimeError("sandbox: the reporter's token slot is missing from its code")
    namespace = {"__builtins__": {}}
    hook = types.FunctionType(code.replace(co_consts=consts), namespace, code.co_name, None,
                              report.__closure__)
    return hook, namespace


def readable_roots() -> tuple:
    """Where a program may read besides its temporary directory: the Python installation
    and the system files an interpreter needs. Never /proc: a process's own memory is there."""
    prefixes = {os.path.realpath(p) for p in (
        sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    return tuple(sorted(prefixes)) + (
        "/usr/lib", "/usr/lib64", "/usr/share/zoneinfo", "/lib", "/lib64", "/etc/localtime",
        "/etc/ld.so.cache", "/dev/null", "/dev/urandom")


def make_guard(tmp: str, reporter_namespace: dict):
    """The PEP 578 audit hook that refuses what a program under evaluation never needs."""
    # Everything the hook needs is bound here, and the hook itself is reachable only through
    # the interpreter's hook list (gc introspection is refused).
    import os.path as osp

    realpath, join, fsdecode = osp.realpath, osp.join, os.fsdecode
    write_roots = (realpath(tmp),)
    read_roots = write_roots + readable_roots()
    af_unix = 1
    writing = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    deny_always = frozenset((
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "subprocess.Popen", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
        "os.setuid", "os.setgid", "os.chdir", "os.fchdir", "os.chroot", "os.link", "os.symlink",
        "os.chmod", "os.chown", "os.chflags", "os.lchown", "os.setxattr", "os.removexattr",
        "socket.connect", "socket.bind", "socket.getaddrinfo",
        "socket.gethostbyname", "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg",
        "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.call_function",
        "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.setprofile",
        "sys.settrace", "sys._current_frames", "mmap.__new__", "os.startfile",
        # a subinterpreter has none of this interpreter's audit hooks (ctypes would work there)
        "cpython.PyInterpreterState_New",
        "winreg.OpenKey", "webbrowser.open", "shutil.unpack_archive", "msvcrt.open_osfhandle"))
    deny_modules = frozenset(("ctypes", "_ctypes", "pty", "multiprocessing",
                              "_multiprocessing", "mmap", "_xxsubinterpreters",
                              "_xxinterpchannels", "_interpreters", "_interpchannels",
                              "_interpqueues"))
    # CPython's test-only C modules (_testcapi, ...): raw memory, subinterpreters, crashes
    deny_prefix = "_test"
    path_events = frozenset(("os.remove", "os.rmdir", "os.mkdir", "os.truncate", "os.utime",
                             "shutil.rmtree", "shutil.copyfile", "shutil.copytree",
                             "shutil.move", "shutil.make_archive", "os.listdir", "os.scandir",
                             "glob.glob", "os.rename"))

    def inside(path, roots):
        if isinstance(path, int):
            return True  # an fd this process already holds
        p = realpath(join(tmp, fsdecode(path)))
        return any(p == r or p.startswith(r + "/") for r in roots)

    def hook(event, args):
        # First, and with no builtins or helpers to patch: the reporter's frames keep their
        # code (and so the token among its constants) to themselves.
        if (event == "object.__getattr__" and args[1] == "f_code"
                and args[0].f_globals is reporter_namespace):
            raise PermissionError("sandbox: the completion reporter's code is not readable")
        if event in deny_always:
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "socket.__new__" and args[1] != af_unix:
            # asyncio's self-pipe needs an AF_UNIX socketpair; connect/bind stay refused
            raise PermissionError("sandbox: network sockets are not allowed")
        if event == "import" and (args[0].split(".")[0] in deny_modules
                                  or args[0].startswith(deny_prefix)):
            raise PermissionError(f"sandbox: importing {args[0]} is not allowed")
        if event == "open":
            path, mode, flags = args
            if path is None:
                return
            wants_write = bool(flags & writing) or (mode is not None and any(
                c in mode for c in "wax+"))
            if not inside(path, write_roots if wants_write else read_roots):
                raise PermissionError(
                    f"sandbox: {'writing' if wants_write else 'reading'} {path} is not allowed")
        elif event in path_events:
            roots = read_roots if event in ("os.listdir", "os.scandir", "glob.glob") \
                else write_roots
            for p in args[:2] if event == "os.rename" else args[:1]:
                if p is not None and not inside(p, roots):
                    raise PermissionError(f"sandbox: {event} on {p} is not allowed")
    return hook


class Refused(Exception):
    """The bootstrap cannot contain the program, so none of it runs."""


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    resource.setrlimit(which, (soft, soft if hard is None else hard))


def _forget_ctypes() -> None:
    # The program may not import ctypes; leave no loaded copy behind for it either
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]


def _libc():
    """(ctypes, the C library with `syscall` returning a long)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return ctypes, libc


def drop_root(uid: int, gid: int) -> None:
    """As root on Linux: no network, uid/gid `uid`/`gid`, every capability dropped except
    CAP_DAC_READ_SEARCH (so a private interpreter prefix stays readable), no_new_privs.
    Raises Refused when a step fails."""
    ctypes, libc = _libc()
    clone_newnet, pr_set_keepcaps, pr_capbset_drop, pr_set_no_new_privs = 0x40000000, 8, 24, 38
    libc.unshare(clone_newnet)  # best effort: the audit hook refuses sockets anyway
    cap_dac_read_search = 2
    for cap in range(64):
        if cap != cap_dac_read_search and libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    if libc.prctl(pr_set_keepcaps, 1, 0, 0, 0) != 0:
        raise Refused("prctl(PR_SET_KEEPCAPS) failed")
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    keep = 1 << cap_dac_read_search
    data = (Data * 2)(Data(keep, keep, 0), Data(0, 0, 0))
    if libc.capset(ctypes.byref(Header(0x20080522, 0)), data) != 0:
        raise Refused(f"capset failed, errno {ctypes.get_errno()}")
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        raise Refused("prctl(PR_SET_NO_NEW_PRIVS) failed")


def refuse_unless_fork_fails() -> None:
    """RLIMIT_NPROC = 0 must make fork fail; if a child can be created, run nothing."""
    _limit(resource.RLIMIT_NPROC, 0)
    try:
        pid = os.fork()
    except OSError:
        return  # expected: RLIMIT_NPROC holds
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    raise Refused("a child process could be created")


# Landlock (Linux >= 5.13; include/uapi/linux/landlock.h): syscalls, and the filesystem rights
# of ABI 1 (bits 0-12: execute, write, read, read_dir, remove_dir/file, make_*), then REFER
# (ABI 2: rename or link across directories) and TRUNCATE (ABI 3).
_LL_CREATE_RULESET, _LL_ADD_RULE, _LL_RESTRICT_SELF = 444, 445, 446
_LL_RULESET_VERSION, _LL_RULE_PATH_BENEATH = 1, 1
_LL_EXECUTE, _LL_WRITE_FILE, _LL_READ_FILE, _LL_READ_DIR = 1, 2, 4, 8
_LL_MAKE_CHAR, _LL_MAKE_BLOCK, _LL_MAKE_SYM, _LL_REFER, _LL_TRUNCATE = 64, 2048, 4096, 8192, 16384
_LL_FILE_RIGHTS = _LL_EXECUTE | _LL_WRITE_FILE | _LL_READ_FILE | _LL_TRUNCATE


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers; 0 when it has none (not Linux, not built
    in, disabled at boot, or filtered by seccomp)."""
    if not sys.platform.startswith("linux"):
        return 0
    ctypes, libc = _libc()
    long = ctypes.c_long
    abi = libc.syscall(long(_LL_CREATE_RULESET), None, long(0), long(_LL_RULESET_VERSION))
    return max(0, abi)  # -1: ENOSYS, EOPNOTSUPP or EPERM


def restrict_files(tmp: str) -> bool:
    """Kernel-enforced file rules (Landlock), the same as the audit hook's but out of the
    program's reach: read only under `tmp` and `readable_roots()`, write only under `tmp`,
    execute nothing, no symlinks or device nodes. False when the kernel has no Landlock (the
    audit hook's rules then stand alone); raises Refused when it has and a step fails."""
    abi = landlock_abi()
    if abi < 1:
        return False
    ctypes, libc = _libc()
    long = ctypes.c_long
    handled = (1 << 13) - 1 | (_LL_REFER if abi >= 2 else 0) | (_LL_TRUNCATE if abi >= 3 else 0)
    in_tmp = handled & ~(_LL_EXECUTE | _LL_MAKE_CHAR | _LL_MAKE_BLOCK | _LL_MAKE_SYM)

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    attr = ctypes.c_uint64(handled)  # struct landlock_ruleset_attr {u64 handled_access_fs}
    ruleset = libc.syscall(long(_LL_CREATE_RULESET), ctypes.byref(attr),
                           long(ctypes.sizeof(attr)), long(0))
    if ruleset < 0:
        raise Refused(f"landlock_create_ruleset failed, errno {ctypes.get_errno()}")
    try:
        rules = [(tmp, in_tmp)] + [(p, _LL_READ_FILE | _LL_READ_DIR) for p in readable_roots()]
        for path, allowed in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # e.g. no /usr/lib64 here
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    allowed &= _LL_FILE_RIGHTS  # the kernel takes only file rights on a file
                rule = PathBeneath(allowed, fd)
                if libc.syscall(long(_LL_ADD_RULE), long(ruleset), long(_LL_RULE_PATH_BENEATH),
                                ctypes.byref(rule), long(0)) != 0:
                    raise Refused(f"landlock_add_rule({path}) failed, errno {ctypes.get_errno()}")
            finally:
                os.close(fd)
        pr_set_no_new_privs = 38  # required of an unprivileged landlock_restrict_self
        if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
            raise Refused("prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(long(_LL_RESTRICT_SELF), long(ruleset), long(0)) != 0:
            raise Refused(f"landlock_restrict_self failed, errno {ctypes.get_errno()}")
    finally:
        os.close(ruleset)
    return True


def contain(cfg: dict) -> None:
    """Everything the kernel enforces, in order; raises Refused when a step fails."""
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_CPU, cfg["cpu_s"], cfg["cpu_s"] + 1)
    _limit(resource.RLIMIT_FSIZE, cfg["file_bytes"])
    _limit(resource.RLIMIT_NOFILE, cfg["max_open_files"])
    if os.geteuid() == 0 and sys.platform.startswith("linux"):
        drop_root(cfg["uid"], cfg["gid"])
    refuse_unless_fork_fails()
    restrict_files(cfg["tmp"])
    _forget_ctypes()
    _limit(resource.RLIMIT_AS, cfg["memory_bytes"])
    _limit(resource.RLIMIT_DATA, cfg["memory_bytes"])


def take_program(tmp: str) -> str:
    """The program's source; its file is removed so the program cannot read itself back."""
    path = os.path.join(tmp, "program.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    os.remove(path)
    return source


def main() -> None:
    cfg = read_config()
    token, report_fd = cfg.pop("token").encode(), cfg["report_fd"]
    os.set_inheritable(report_fd, False)  # a program exec'd in its place gets no report fd
    try:
        contain(cfg)
    except Refused as exc:
        # with the token, so that the parent knows this came from here, not from a program
        os.write(report_fd, token + b"\nrefused: " + str(exc).encode())
        os._exit(REFUSED_EXIT)
    code = compile(take_program(cfg["tmp"]), "program.py", "exec")
    reporter, namespace = make_reporter(token, report_fd, sys._getframe())
    if cfg["python_guard"]:
        sys.addaudithook(make_guard(cfg["tmp"], namespace))
    sys.addaudithook(reporter)
    # From here on only locals: the program can rebind this module's globals, builtins and
    # `sys.audit`, not a running frame's locals, and this frame keeps no token.
    audit, finished = sys.audit, FINISHED_EVENT
    del token, reporter, namespace, cfg
    sys.stdin = None
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    audit(finished)  # reached only when the program's code ran to its end


if __name__ == "__main__":
    main()

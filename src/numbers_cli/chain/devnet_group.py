"""The devnet's processes: finding, recognising and stopping the process group `up` started.

`nit devnet up` starts anvil as the leader of a new session (so of a new
process group whose id is its pid). A native anvil is then the only member;
npm's `@foundry-rs/anvil` runs `node bin.mjs`, which starts the real binary as
its child, in the same group. Everything here works on that group, so both
shapes (and any other wrapper) are handled alike:

- a group is *ours* when nit created it (its id is the recorded leader pid)
  and one of its live members serves this devnet's `--state` file: the
  program's name is never trusted (`node`, `anvil`, a symlink...);
- *stopping* signals the whole group, waits until no member is left (a
  wrapper killed earlier may have left its anvil orphaned, still in the
  group), and SIGKILLs the group if one lingers.

A group nit did not create (an old record's pid that does not lead its own
group, someone else's process) is never signalled as a group: only its pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

__all__ = ["SPAWNED", "is_alive", "members", "serves", "stop"]

#: Devnet processes this Python process started, kept so that stopping one reaps
#: it (tests and the Python API start and stop in one process; without this the
#: stopped leader would linger as a zombie and look alive to `kill(pid, 0)`).
SPAWNED: dict[int, subprocess.Popen[bytes]] = {}

_PROC = Path("/proc")


def _parse_stat(text: str) -> tuple[str, int]:
    """(state, process group) from /proc/<pid>/stat (the command name may hold spaces)."""
    fields = text.rpartition(")")[2].split()
    return fields[0], int(fields[2])


def processes() -> list[tuple[int, int, list[str]]]:
    """(pid, process group, argv) of every live process we can see; zombies left out.

    Linux reads /proc; other systems ask `ps` (arguments then split on spaces).
    """
    found: list[tuple[int, int, list[str]]] = []
    if (_PROC / "self" / "stat").exists():
        for entry in os.listdir(_PROC):
            if not entry.isdigit():
                continue
            try:
                state, pgid = _parse_stat((_PROC / entry / "stat").read_text())
                raw = (_PROC / entry / "cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile, or not ours to read
            if state != "Z":
                argv = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
                found.append((int(entry), pgid, argv))
        return found
    try:
        result = subprocess.run(
            ["ps", "-A", "-o", "pid=,pgid=,stat=,command="],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return found
    for line in result.stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[0].isdigit() and parts[1].isdigit() and parts[2][0] != "Z":
            found.append((int(parts[0]), int(parts[1]), parts[3].split()))
    return found


def _is_zombie(pid: int) -> bool:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def is_alive(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (a zombie counts as exited)."""
    process = SPAWNED.get(pid)
    if process is not None:
        return process.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and certainly not ours
    return not _is_zombie(pid)


def group_id(pid: int, pgid: int | None) -> int | None:
    """The group nit created for the devnet led by `pid`, or None when there is none to trust.

    Only a group whose id is the leader's own pid (a session `up` started) is
    ever treated as a group; an old record without `pgid` is checked live.
    """
    if pgid is not None:
        return pgid if pgid == pid else None
    try:
        return pid if os.getpgid(pid) == pid else None
    except (ProcessLookupError, PermissionError):
        return None


def members(pid: int, pgid: int | None) -> list[tuple[int, list[str]]]:
    """(pid, argv) of the live processes of the devnet's group (or of `pid` alone)."""
    group = group_id(pid, pgid)
    if group is None:
        if not is_alive(pid):
            return []
        return [(p, argv) for p, _, argv in processes() if p == pid]
    return [(p, argv) for p, g, argv in processes() if g == group]


def _serves_file(argv: list[str], state: Path) -> bool:
    text = str(state)
    return (
        any(argv[i] == "--state" and argv[i + 1] == text for i in range(len(argv) - 1))
        or f"--state={text}" in argv
    )


def serves(pid: int, pgid: int | None, state: Path) -> bool:
    """Whether a live member of the devnet's group runs with `--state <state>`."""
    return any(_serves_file(argv, state) for _, argv in members(pid, pgid))


def stop(pid: int, pgid: int | None, *, timeout: float = 15.0) -> bool:
    """SIGTERM the group (or the pid alone), wait for all of it, SIGKILL what lingers.

    Returns True if something had to be killed.
    """
    spawned = SPAWNED.pop(pid, None)
    group = group_id(pid, pgid)
    if not _signal(pid, group, signal.SIGTERM):
        _reap(spawned, 1.0)
        return False
    if _wait_gone(pid, pgid, spawned, timeout):
        return False
    _signal(pid, group, signal.SIGKILL)
    _wait_gone(pid, pgid, spawned, 5.0)
    return True


def _signal(pid: int, group: int | None, signum: int) -> bool:
    """Send `signum` to the group (or the pid alone); False if nothing was there."""
    try:
        if group is not None:
            os.killpg(group, signum)
        else:
            os.kill(pid, signum)
    except ProcessLookupError:
        return False
    return True


def _reap(spawned: subprocess.Popen[bytes] | None, timeout: float) -> None:
    if spawned is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            spawned.wait(timeout=timeout)


def _wait_gone(
    pid: int, pgid: int | None, spawned: subprocess.Popen[bytes] | None, timeout: float
) -> bool:
    """Wait up to `timeout` s for every process of the devnet to exit (reaping our child)."""
    deadline = time.monotonic() + timeout
    while True:
        if spawned is not None:
            spawned.poll()  # reap the leader if it is our child, so it stops counting
        if not members(pid, pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)

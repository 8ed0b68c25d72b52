"""Measuring one command: wall time and peak RSS of its whole process tree, plus small statistics helpers.

The tree's RSS is sampled from /proc every `interval` seconds (the command and all its descendants: a refresh
spawns dbt subprocesses) and the largest sum is kept. Summed RSS counts pages shared between processes once per
process, so it errs high. As a cross-check, wait4() gives ru_maxrss: the peak RSS of the largest single process of
the tree (the command or any descendant it waited for).
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


@dataclass
class Measurement:
    command: list[str]
    returncode: int
    wall_s: float
    peak_tree_rss_mb: float
    max_process_rss_mb: float  # ru_maxrss from wait4: the largest single process of the tree
    max_processes: int  # the most processes alive in the tree at one sample
    cpu_user_s: float
    cpu_sys_s: float
    started_at: float  # time.time() when the command was started
    stdout: str = field(repr=False, default="")
    stderr: str = field(repr=False, default="")

    def figures(self) -> dict:
        """The numbers only (no output text), for the JSON results."""
        d = asdict(self)
        d.pop("stdout")
        d.pop("stderr")
        return d


def _children_map() -> dict[int, list[int]]:
    """ppid -> pids, from /proc/<pid>/stat of every process."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name (2nd field) is in parentheses and may hold spaces: split after the last ')'
        ppid = int(stat[stat.rindex(b")") + 2:].split(b" ", 2)[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_pids(root: int) -> list[int]:
    """root and all its descendants alive now."""
    children = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(root: int) -> tuple[int, int]:
    """(summed RSS, number of processes) of the tree rooted at root."""
    pids = tree_pids(root)
    return sum(rss_bytes(p) for p in pids), len(pids)


def run_measured(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
                 interval: float = 0.05, timeout: float | None = None, log_dir: Path | None = None) -> Measurement:
    """Run command to completion, sampling its process tree's RSS; stdout/stderr are kept (and saved to log_dir)."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started_at = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        peak, most = 0, 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, most
            while not done.is_set():
                rss, n = tree_rss_bytes(proc.pid)
                peak, most = max(peak, rss), max(most, n)
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        deadline = None if timeout is None else t0 + timeout
        while True:  # wait4 (not Popen.wait) for the child's rusage; poll so a timeout can kill it
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        label = command[2] if len(command) > 2 and command[1] == "-m" else Path(command[min(1, len(command) - 1)]).stem
        stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{label}"
        (log_dir / f"{stem}.out").write_text(stdout, encoding="utf-8")
        (log_dir / f"{stem}.err").write_text(stderr, encoding="utf-8")
    return Measurement(command=list(command), returncode=proc.returncode, wall_s=wall, peak_tree_rss_mb=peak / MB,
                       max_process_rss_mb=usage.ru_maxrss / 1024, max_processes=most, cpu_user_s=usage.ru_utime,
                       cpu_sys_s=usage.ru_stime, started_at=started_at, stdout=stdout, stderr=stderr)


def summary(values: list[float]) -> dict:
    """median / min / max / n of a list of figures (None when empty)."""
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

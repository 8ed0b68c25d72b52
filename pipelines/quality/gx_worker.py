"""Great Expectations in a worker process, started when a refresh starts, so its import is not on the critical path.

Importing GX costs 5-7 s of CPU (it pulls in scipy.stats, altair, sqlalchemy, ...), paid by every refresh, in the
step that needs it first. `python -m pipelines.cli refresh` starts this worker before it even imports Dagster
(:func:`prestart`): GX then imports on the second core while the main process imports Dagster, loads the
definitions and ingests. The gates hand the worker the build database path and the suite files and get the
:class:`~pipelines.quality.gx_runner.SuiteResult` objects back; the worker then writes the GX Data Docs. A run that
did not prestart it (the UI's run worker, tests) starts it on first use: same results, the import is just not
hidden then. The main process never imports GX.

The worker opens the build database read-only for each request; the main process holds no connection to it while
a gate runs (DuckDB allows one writing process, or several reading ones).

Protocol: one JSON request per line on the worker's stdin, one JSON reply per line on its original stdout (what
GX or anything else prints goes to stderr). Results travel pickled (base64) inside the reply. If the worker dies,
the call raises :class:`GxWorkerError` naming its exit code and the next call starts a new one; it exits by itself
when its stdin closes (the refresh ended or was killed).
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import pickle
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Mapping, Sequence

__all__ = ["GxWorkerError", "prestart", "validate_suites", "shutdown", "sync"]


# Rows per GX frame: 150k rows of the widest fact (24 columns) keep the worker under ~0.7 GB while GX evaluates a
# frame; 250k took it to 1 GB. More frames cost GX's fixed cost per frame (about 20 ms per expectation) more often.
BATCH_ROWS = 150_000


class GxWorkerError(RuntimeError):
    """The worker failed (its traceback is in the message) or died."""


class _Client:
    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._alive():
            return
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.quality.gx_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, text=True, encoding="utf-8",
            env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
        )

    def call(self, request: Mapping[str, Any]) -> Any:
        with self._lock:
            self._start()
            proc = self._proc
            assert proc is not None and proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps(request) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except (BrokenPipeError, OSError) as exc:
                line = ""
                cause: Exception | None = exc
            else:
                cause = None
            if not line:
                code = proc.wait(timeout=10)
                self._proc = None
                raise GxWorkerError(f"the GX worker process exited (code {code}) before answering") from cause
            reply = json.loads(line)
            if not reply.get("ok"):
                raise GxWorkerError(reply.get("error") or "the GX worker failed")
            return pickle.loads(base64.b64decode(reply["result"]))

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


_CLIENT = _Client()
atexit.register(_CLIENT.close)


def prestart() -> None:
    """Start the worker now (it imports GX in the background); cheap and idempotent."""
    _CLIENT.start()


def shutdown() -> None:
    _CLIENT.close()


def sync() -> None:
    """Return when the worker has finished what it does after its last reply (the Data Docs)."""
    _CLIENT.call({"sync": True})


def validate_suites(db: Path, suites: Sequence[Path], params: Mapping[str, Any] | None = None, *,
                    docs_dir: Path | None = None, run_id: str | None = None,
                    earlier_results: Sequence[Any] = (), incremental: bool = False) -> tuple[list[Any], Path | None]:
    """Validate the suite files against the database (read-only) in the worker.

    ``incremental``: suites with an ``incremental_key`` carry over the row-level verdicts recorded in
    audit.quality_validated_keys (the caller records the new ones with ``gx_runner.record_validated_keys``).

    Returns the SuiteResults (in the order of ``suites``) and, when ``docs_dir`` is given, the Data Docs index for
    ``earlier_results`` + these results, which the worker writes right after replying (:func:`sync` waits for it;
    a docs failure is printed to stderr and never changes a verdict). The worker exits after finishing it.
    """
    request = {
        "db": str(db),
        "suites": [str(p) for p in suites],
        "params": dict(params or {}),
        "docs_dir": str(docs_dir) if docs_dir else None,
        "run_id": run_id,
        "earlier": base64.b64encode(pickle.dumps(list(earlier_results))).decode("ascii"),
        "incremental": bool(incremental),
    }
    results, docs = _CLIENT.call(request)
    return results, (Path(docs) if docs else None)


# --- the worker side ----------------------------------------------------------------------------------------

def _handle(request: Mapping[str, Any]) -> tuple[tuple[list[Any], str | None], Any]:
    from pipelines import warehouse
    from pipelines.quality import gx_runner

    suites = [gx_runner.load_suite(path) for path in request["suites"]]
    results = []
    with warehouse.connect(Path(request["db"]), read_only=True) as con:
        for suite in suites:
            carry = gx_runner.validated_keys(con, suite) if request.get("incremental") else None
            results += gx_runner.validate_all(con, [suite], request.get("params") or None, batch_rows=BATCH_ROWS,
                                              carry_over=carry)
            _release_memory()  # one suite's frames at a time
    if not request.get("docs_dir"):
        return (results, None), None
    earlier = pickle.loads(base64.b64decode(request["earlier"]))
    docs_dir = Path(request["docs_dir"])

    def write_docs() -> None:
        try:
            gx_runner.build_data_docs(earlier + results, docs_dir, run_id=request.get("run_id"))
        except Exception:  # docs are a convenience; a docs failure must not change the gate's verdict
            traceback.print_exc(file=sys.stderr)

    return (results, str(docs_dir / "index.html")), write_docs


def _serve() -> int:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed (GX, warnings) goes to stderr, never into the replies
    sys.stdout = sys.stderr
    from pipelines.quality import gx_runner

    gx_runner.get_session()  # import GX and build the session now, while the refresh does other work
    for line in sys.stdin:
        if not line.strip():
            continue
        result, after = None, None
        try:
            request = json.loads(line)
            if not request.get("sync"):
                result, after = _handle(request)
            reply = {"ok": True, "result": base64.b64encode(pickle.dumps(result)).decode("ascii")}
        except Exception:
            reply, after = {"ok": False, "error": traceback.format_exc()}, None
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()
        # After the reply, while the refresh goes on: the Data Docs (about 0.6 s), then giving memory back.
        if after is not None:
            after()
        del result, after
        _release_memory()
    return 0


def _release_memory() -> None:
    """Give the frames of the last request back to the OS: the worker idles beside dbt and the ingest, and the
    allocators would otherwise keep its peak (about 0.5 GB after a 10-year batch) for the rest of the refresh."""
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the next request instead
        pass


if __name__ == "__main__":
    code = _serve()
    # Every reply is flushed; skip the interpreter's teardown of GX's module graph (about 1 s that the refresh
    # otherwise waits for at exit).
    sys.stderr.flush()
    os._exit(code)

"""dbt docs for analysts: `python -m pipelines.docs [--serve PORT]` (what `make docs` runs).

Runs `dbt docs generate` against the build database (the catalog needs the real tables and columns) with its
own target and log paths under data/dbt_docs/, so the manifest Dagster loads (dbt_project/target/manifest.json)
is never touched. Writes index.html (needs the json files next to it, so open it through `--serve`) and
static_index.html (manifest and catalog inlined: opens straight from disk, offline).
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb

from pipelines import paths

DOCS_FILES = ("index.html", "static_index.html", "catalog.json", "manifest.json")


def docs_dir() -> Path:
    """Where the generated dbt docs go (git-ignored, beside the other runtime data)."""
    return paths.data_dir() / "dbt_docs"


def dbt_executable() -> str:
    """The dbt CLI installed beside this interpreter (the venv's), else the one on PATH."""
    local = Path(sys.executable).parent / "dbt"
    if local.exists():
        return str(local)
    return shutil.which("dbt") or "dbt"


class DocsError(RuntimeError):
    """A problem the user can fix; the message says how."""


def _check_build_db(build: Path) -> None:
    if not build.exists():
        raise DocsError(f"no build database at {build}: run `make run` first (the dbt docs catalog reads "
                        "the tables and columns from it)")
    try:
        con = duckdb.connect(str(build), read_only=True)
    except duckdb.IOException as exc:  # a refresh holds the write lock
        raise DocsError(f"the build database {build} is in use (a refresh is probably running): "
                        f"try again when it has finished ({exc})") from exc
    con.close()


def generate(out: Path | None = None) -> Path:
    """Run `dbt docs generate` into `out` (default data/dbt_docs/); returns the path of index.html."""
    out = (out or docs_dir()).resolve()
    build = paths.build_db()
    _check_build_db(build)
    out.mkdir(parents=True, exist_ok=True)
    cmd = [dbt_executable(), "docs", "generate", "--static",
           "--project-dir", str(paths.DBT_PROJECT_DIR), "--profiles-dir", str(paths.DBT_PROJECT_DIR),
           # its own target and log paths: dbt_project/target/manifest.json belongs to the Dagster definitions
           "--target-path", str(out), "--log-path", str(out / "logs")]
    env = {**os.environ, **paths.dbt_env()}
    proc = subprocess.run(cmd, cwd=paths.DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DocsError(f"dbt docs generate failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n"
                        f"{proc.stderr[-4000:]}")
    missing = [name for name in DOCS_FILES if not (out / name).exists()]
    if missing:
        raise DocsError(f"dbt docs generate wrote no {', '.join(missing)} in {out}")
    return out / "index.html"


def serve(directory: Path, port: int) -> None:
    """Serve the docs folder on http://127.0.0.1:PORT/ until interrupted."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"serving dbt docs on http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.docs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", type=int, metavar="PORT",
                        help="after generating, serve the docs on http://127.0.0.1:PORT/")
    parser.add_argument("--out", type=Path, help="output folder (default: data/dbt_docs under WAREHOUSE_DATA_DIR)")
    args = parser.parse_args(argv)
    try:
        index = generate(args.out)
    except DocsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"dbt docs:               {index}")
    print(f"offline single file:    {index.with_name('static_index.html')}")
    if args.serve is not None:
        serve(index.parent, args.serve)
    else:
        print(f"to browse them: python -m pipelines.docs --serve 8080  (index.html fetches the json files, "
              "so it needs a web server; static_index.html opens straight from disk)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

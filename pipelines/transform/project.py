"""The dbt project as Dagster sees it. The manifest is prepared at dev/build time (`make manifest`), not on import."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines import paths

# The dbt CLI installed beside this interpreter (the venv's), whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is re-parsed so model edits show up; elsewhere it must already exist.
# dagster-dbt's preparer runs `dbt` from PATH: put this interpreter's bin first, as an activated venv would
# (`make ui` runs .venv/bin/dagster without activating the venv).
if os.environ.get("DAGSTER_IS_DEV_CLI"):
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
dbt_project.prepare_if_dev()

MANIFEST_PATH: Path = dbt_project.manifest_path
if not MANIFEST_PATH.exists():
    raise FileNotFoundError(
        f"dbt manifest missing at {MANIFEST_PATH}: run `make manifest` (dbt parse) before loading the definitions"
    )

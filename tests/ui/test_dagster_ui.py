"""The Dagster UI driven as a user would: start the webserver and daemon the way `make ui` does, then with
Chromium open the asset lineage, launch the `refresh` job from its page, watch the run succeed, check that the
nightly schedule and the landing-zone sensor are running, and that the published warehouse opens read-only.

Screenshots (and the `dagster dev` log) go to test-artifacts/ui/ at the repo root (git-ignored).

The landing-zone sensor is RUNNING by default, so the daemon requests a refresh of its own as soon as it starts;
the run queue (one run with the writer tag at a time) puts the UI-launched run behind it. The test waits for
every run to finish and checks that all of them, and the one launched from the UI, succeeded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, copy_sample_inputs

pytestmark = pytest.mark.ui

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = REPO / "test-artifacts" / "ui"
LOCATION = "commune_police_warehouse"

SERVER_START_TIMEOUT_S = 240   # webserver up and code location loaded (dbt parse under `dagster dev`)
RUNS_TIMEOUT_S = 6 * 60        # the UI-launched run (queued behind the sensor's run) and any other run finished
UI_TIMEOUT_MS = 60_000         # one UI action on a loaded 2-core machine

TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


# --------------------------------------------------------------------------------------------------- helpers

def _chromium_or_skip() -> Path:
    """/usr/bin/chromium, installed with apt-get when missing and we are root; skip only when that is impossible."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = "Chromium missing at /usr/bin/chromium"
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        try:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600, check=True)
            subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"], env=env,
                           capture_output=True, timeout=900, check=True)
        except (subprocess.SubprocessError, OSError) as exc:
            reason += f" and `apt-get install -y chromium` failed: {exc}"
        if CHROMIUM.exists():
            return CHROMIUM
    else:
        reason += " and it cannot be installed here (not root, or no apt-get)"
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dagster_cli() -> list[str]:
    """The `dagster` CLI of this interpreter's environment (`make ui` runs .venv/bin/dagster)."""
    script = Path(sys.executable).parent / "dagster"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dagster"]


def _stop_group(proc: subprocess.Popen, grace_s: float = 8.0) -> None:
    """SIGTERM the process group (`dagster dev`, its webserver, daemon, code servers and run workers), then
    SIGKILL whatever is left: `dagster dev` may ignore SIGTERM for a long while."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children left in the group, even when the leader has exited
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


class Dagster:
    """A running `dagster dev` and its GraphQL endpoint."""

    def __init__(self, base: str, proc: subprocess.Popen, log: Path):
        self.base, self.proc, self.log = base, proc, log

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.base}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = json.load(resp)
        assert not payload.get("errors"), payload["errors"]
        return payload["data"]

    def runs(self) -> list[dict]:
        data = self.graphql("{ runsOrError { __typename ... on Runs { results { runId jobName status "
                            "tags { key value } } } } }")
        return data["runsOrError"]["results"]

    def run_status(self, run_id: str) -> str:
        data = self.graphql("query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }",
                            {"id": run_id})
        return data["runOrError"].get("status", data["runOrError"]["__typename"])

    def wait_until_ready(self, deadline: float) -> None:
        """/server_info answers, then the code location has loaded (fail fast with its error when it did not)."""
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"`dagster dev` exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/server_info", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the webserver did not answer /server_info in time:\n{self.log_tail()}")
            time.sleep(2)
        query = ("{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus "
                 "locationOrLoadError { __typename ... on PythonError { message causes { message } } } } } } }")
        while True:
            entries = self.graphql(query)["workspaceOrError"].get("locationEntries") or []
            entry = next((e for e in entries if e["name"] == LOCATION), None)
            if entry and entry["loadStatus"] == "LOADED" and entry["locationOrLoadError"]:
                loaded = entry["locationOrLoadError"]
                if loaded["__typename"] == "PythonError":
                    causes = "".join(c["message"] for c in loaded.get("causes") or [])
                    pytest.fail(f"code location {LOCATION} failed to load:\n{loaded['message']}\n{causes}")
                return
            if time.monotonic() > deadline:
                pytest.fail(f"code location {LOCATION} did not load in time: {entries}\n{self.log_tail()}")
            time.sleep(2)


@contextmanager
def dagster_dev(root: Path):
    """`make ui` in a private data dir: `pipelines.cli init`, then `dagster dev -w workspace.yaml` on 127.0.0.1."""
    data_dir = root / "data"
    raw = copy_sample_inputs(root / "raw_inputs")
    env = {**os.environ, "WAREHOUSE_DATA_DIR": str(data_dir), "RAW_INPUTS_DIR": str(raw),
           "DAGSTER_HOME": str(data_dir / "dagster_home")}
    init = subprocess.run([sys.executable, "-m", "pipelines.cli", "init"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stderr
    port = _free_port()
    log = ARTIFACTS / "dagster-dev.log"
    with open(log, "w", encoding="utf-8") as log_fh:
        proc = subprocess.Popen([*_dagster_cli(), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                                cwd=REPO, env=env, stdout=log_fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        server = Dagster(f"http://127.0.0.1:{port}", proc, log)
        server.wait_until_ready(time.monotonic() + SERVER_START_TIMEOUT_S)
        yield server, data_dir
    finally:
        _stop_group(proc)


@contextmanager
def browser_page(chromium: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(UI_TIMEOUT_MS)
            # First visit: the "Join the Dagster community" dialog covers the page until "Skip" is clicked.
            page.add_locator_handler(page.get_by_text("Join the Dagster community"),
                                     lambda: page.get_by_role("button", name="Skip").click())
            yield page
        finally:
            browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _wait_for_runs(server: Dagster, deadline: float, page=None) -> list[dict]:
    """Every run has reached a terminal status (the sensor's run and the UI's run share a one-writer queue)."""
    while True:
        runs = server.runs()
        if runs and all(r["status"] in TERMINAL for r in runs):
            return runs
        if time.monotonic() > deadline:
            if page is not None:
                _shot(page, "timeout")
            pytest.fail(f"runs still not finished after {RUNS_TIMEOUT_S}s: "
                        f"{[(r['runId'][:8], r['status']) for r in runs]}\n{server.log_tail()}")
        if server.proc.poll() is not None:
            pytest.fail(f"`dagster dev` exited with {server.proc.returncode}:\n{server.log_tail()}")
        time.sleep(5)


def _automation_toggle(page, kind: str, name: str):
    """The on/off switch (a checkbox) of one schedule/sensor row on the Automation page; the row's first
    checkbox is the bulk-selection box."""
    row = page.locator("[data-index]").filter(has=page.locator(f'a[href$="/{kind}/{name}"]'))
    row.wait_for()
    return row.locator("input[type=checkbox]").last


def _details_running_toggle(page):
    """The switch in the "Running" row of a schedule's or sensor's details table."""
    return page.locator("tr").filter(has_text=re.compile(r"^\s*Running\s*$")).locator("input[type=checkbox]")


# ------------------------------------------------------------------------------------------------------ test

def test_ui_lineage_launch_refresh_and_automation(tmp_path: Path) -> None:
    chromium = _chromium_or_skip()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    expect.set_options(timeout=UI_TIMEOUT_MS)

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    timings: dict[str, float] = {}

    with dagster_dev(tmp_path) as (server, data_dir), browser_page(chromium) as page:
        timings["server_ready_s"] = time.monotonic() - started
        base = server.base
        try:
            # 1. Global asset lineage: the asset groups of the definitions are all there.
            page.goto(f"{base}/asset-groups")
            expect(page.get_by_text("Global asset lineage")).to_be_visible()
            for group in ("reference", "submissions", "news", "staging", "marts", "reports", "publish"):
                expect(page.get_by_text(group, exact=True).first).to_be_visible()
            page.wait_for_timeout(1500)  # let the graph lay out before the picture
            _shot(page, "01-global-asset-lineage")

            # ... the catalog lists the published warehouse (asset key published/warehouse); its page explains it.
            page.goto(f"{base}/assets")
            published_link = page.get_by_role("link", name="published / warehouse")
            expect(published_link).to_be_visible()
            _shot(page, "02-catalog")
            published_link.click()
            page.wait_for_url(re.compile(r"/assets/published/warehouse"))
            expect(page.get_by_text("the ref, marts and audit schemas of the build database").first).to_be_visible()
            _shot(page, "03-asset-published-warehouse")

            # ... and the reports group holds the national report (HTML) and the XLSX report.
            page.goto(f"{base}/locations/{LOCATION}/asset-groups/reports")
            page.get_by_role("tab", name="List").click()
            expect(page.get_by_role("link", name=re.compile(r"national_report")).first).to_be_visible()
            expect(page.get_by_role("link", name=re.compile(r"xlsx_report")).first).to_be_visible()
            _shot(page, "04-group-reports")

            # 2. Jobs -> refresh -> "Materialize all": launches a run of the `refresh` job.
            page.goto(f"{base}/jobs")
            page.locator('a[href$="/jobs/refresh"]').first.click()
            page.wait_for_url(re.compile(r"/locations/[^/]+/jobs/refresh"))
            expect(page.get_by_text("Ingest everything new, rebuild the warehouse")).to_be_visible()
            materialize = page.get_by_role("button", name="Materialize all")
            expect(materialize).to_be_enabled()
            page.wait_for_timeout(1500)
            _shot(page, "05-job-refresh")
            materialize.click()
            toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}")).first
            expect(toast).to_be_visible()
            short_id = re.search(r"Launched run ([0-9a-f]{8})", toast.inner_text()).group(1)
            _shot(page, "06-run-launched")
            timings["launched_at_s"] = time.monotonic() - started

            # The toast's "View" opens the run page (or, if the toast is already gone, the run's URL).
            run_id = next(r["runId"] for r in server.runs() if r["runId"].startswith(short_id))
            try:
                page.get_by_role("button", name="View", exact=True).last.click(timeout=10_000)
            except PlaywrightError:
                page.goto(f"{base}/runs/{run_id}")
            page.wait_for_url(re.compile(rf"/runs/{run_id}"))
            ui_run = next(r for r in server.runs() if r["runId"] == run_id)
            assert ui_run["jobName"] == "refresh"
            assert {"key": "dagster/from_ui", "value": "true"} in ui_run["tags"]
            assert {"key": "warehouse/writes-build-db", "value": "true"} in ui_run["tags"]
            _shot(page, "07-run-page-start")

            # 3. Wait for every run (the sensor's and ours) to finish; all must have succeeded.
            runs = _wait_for_runs(server, time.monotonic() + RUNS_TIMEOUT_S, page)
            timings["runs_done_s"] = time.monotonic() - started
            assert server.run_status(run_id) == "SUCCESS", f"UI run {run_id}: {server.run_status(run_id)}"
            assert all(r["status"] == "SUCCESS" for r in runs), [(r["runId"], r["status"]) for r in runs]
            sensor_runs = [r for r in runs if {"key": "dagster/sensor_name", "value": "landing_zone_sensor"}
                           in r["tags"]]
            # The run page shows it too.
            page.goto(f"{base}/runs/{run_id}")
            expect(page.get_by_text("Success", exact=True).first).to_be_visible()
            expect(page.get_by_text("RUN_SUCCESS").first).to_be_visible()
            page.wait_for_timeout(1000)
            _shot(page, "08-run-success")
            page.goto(f"{base}/runs")
            expect(page.get_by_text(short_id).first).to_be_visible()
            expect(page.get_by_text("Manually launched").first).to_be_visible()
            _shot(page, "09-runs")

            # 4. Automation: the nightly schedule and the landing-zone sensor are running.
            page.goto(f"{base}/automation")
            schedule_toggle = _automation_toggle(page, "schedules", "nightly_refresh")
            sensor_toggle = _automation_toggle(page, "sensors", "landing_zone_sensor")
            expect(schedule_toggle).to_be_checked()
            expect(sensor_toggle).to_be_checked()
            expect(page.get_by_text("Scheduled At 02:00 AM GMT+7")).to_be_visible()
            _shot(page, "10-automation")
            page.goto(f"{base}/locations/{LOCATION}/schedules/nightly_refresh")
            expect(page.get_by_text("Asia/Ho_Chi_Minh")).to_be_visible()
            expect(_details_running_toggle(page)).to_be_checked()
            _shot(page, "11-schedule-nightly-refresh")
            page.goto(f"{base}/locations/{LOCATION}/sensors/landing_zone_sensor")
            expect(page.get_by_text("landing_zone_sensor").first).to_be_visible()
            expect(_details_running_toggle(page)).to_be_checked()
            _shot(page, "12-sensor-landing-zone")
        except BaseException:  # pytest.fail() and timeouts too: keep a picture of where it stopped
            try:
                _shot(page, "failure")
            except Exception:
                pass
            raise

        # The same states as the instance records them.
        repos = server.graphql("{ repositoriesOrError { ... on RepositoryConnection { nodes { "
                               "schedules { name scheduleState { status } } "
                               "sensors { name sensorState { status } } } } } }")
        nodes = repos["repositoriesOrError"]["nodes"]
        schedules = {s["name"]: s["scheduleState"]["status"] for n in nodes for s in n["schedules"]}
        sensors = {s["name"]: s["sensorState"]["status"] for n in nodes for s in n["sensors"]}
        assert schedules.get("nightly_refresh") == "RUNNING", schedules
        assert sensors.get("landing_zone_sensor") == "RUNNING", sensors

    # 5. After the server is gone: the published warehouse exists and opens read-only; it is a release of one
    # of the successful runs.
    published = data_dir / "warehouse.duckdb"
    assert published.exists(), f"no published warehouse at {published}"
    con = duckdb.connect(str(published), read_only=True)
    try:
        (release_run,) = con.execute("select run_id from meta.release").fetchone()
        provinces = con.execute("select count(*) from ref.dim_province").fetchone()[0]
    finally:
        con.close()
    assert release_run in {r["runId"] for r in runs}
    assert provinces == 63 + 34
    timings["total_s"] = time.monotonic() - started
    (ARTIFACTS / "timings.json").write_text(json.dumps({**timings, "runs": len(runs),
                                                        "sensor_runs": len(sensor_runs)}, indent=2))

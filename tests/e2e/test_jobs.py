"""Jobs and CronJobs end to end: the real daemon with the simulated runtime (a container
scripted to exit 0 after a moment), driven by the real kubectl."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import daemon_with_cleanup
from tests.e2e.test_kubectl import kubectl, ok, table

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

SCRIPT = json.dumps({"exitCode": 0, "runSeconds": 0.3})


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from daemon_with_cleanup(tmp_path_factory.mktemp("jobs"),
                                   f"kj-{uuid.uuid4().hex[:6]}", "--runtime", "sim",
                                   "--without", "proxy")


def pod_template() -> dict[str, Any]:
    return {"metadata": {"annotations": {"sim.minikube-py.io/work": SCRIPT}},
            "spec": {"restartPolicy": "Never", "containers": [
                {"name": "work", "image": "minikube-py/busybox:local",
                 "command": ["sh", "-c", "exit 0"]}]}}


def wait_job(daemon: RunningDaemon, name: str, condition: str,
             timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = json.loads(ok(daemon, "get", "job", name, "-o", "json"))
        if any(c.get("type") == condition and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or []):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {name} not {condition}: {job.get('status')}")


def test_a_job_runs_three_completions_two_at_a_time(sim: RunningDaemon) -> None:
    """completions 3, parallelism 2: the Job reaches Complete with 3 succeeded pods that carry
    the job-name label; ``kubectl get jobs`` shows Complete and 3/3."""
    ok(sim, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "three"},
        "spec": {"completions": 3, "parallelism": 2, "template": pod_template()}}))
    job = wait_job(sim, "three", "Complete")
    status = job["status"]
    assert status["succeeded"] == 3 and "active" not in status
    assert status["startTime"] <= status["completionTime"]
    pods = json.loads(ok(sim, "get", "pods", "-l", "batch.kubernetes.io/job-name=three",
                         "-o", "json"))["items"]
    assert sorted(p["status"]["phase"] for p in pods) == ["Succeeded"] * 3
    rows = table(ok(sim, "get", "jobs", "three"))
    assert rows[0][:4] == ["NAME", "STATUS", "COMPLETIONS", "DURATION"]
    assert rows[1][:3] == ["three", "Complete", "3/3"]
    described = ok(sim, "describe", "job", "three")
    assert "job-controller" in described and "Completed" in described


def test_create_job_from_a_cron_job(sim: RunningDaemon) -> None:
    """A suspended CronJob never runs by itself; ``kubectl create job --from=cronjob/...``
    makes a Job from its template that the Job controller runs to Complete. A bad schedule is
    refused with the field and robfig/cron's reason."""
    ok(sim, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "suspend": True,
                 "jobTemplate": {"spec": {"template": pod_template()}}}}))
    bad = kubectl(sim, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "never"},
        "spec": {"schedule": "61 * * * *", "jobTemplate": {"spec": {"template": pod_template()}}}}))
    assert bad.returncode != 0
    assert ('spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59)'
            in bad.stderr)
    ok(sim, "create", "job", "manual-run", "--from=cronjob/nightly")
    job = wait_job(sim, "manual-run", "Complete")
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert job["status"]["succeeded"] == 1
    rows = table(ok(sim, "get", "cronjobs", "nightly"))
    assert rows[1][:5] == ["nightly", "0 3 * * *", "<none>", "True", "0"]


def test_create_job_with_an_image_starts_its_pod(sim: RunningDaemon) -> None:
    """``kubectl create job NAME --image=...`` (restartPolicy Never, the generated selector):
    the Job gets one active pod named after it, labelled with its controller-uid."""
    ok(sim, "create", "job", "plain", "--image=minikube-py/busybox:local")
    deadline = time.monotonic() + 20
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = json.loads(ok(sim, "get", "job", "plain", "-o", "json"))
        if (job.get("status") or {}).get("active") == 1:
            break
        time.sleep(0.2)
    assert job["status"].get("active") == 1, job.get("status")
    uid = job["metadata"]["uid"]
    pods = json.loads(ok(sim, "get", "pods", "-l", f"batch.kubernetes.io/controller-uid={uid}",
                         "-o", "json"))["items"]
    assert [p["metadata"]["labels"]["job-name"] for p in pods] == ["plain"]
    assert pods[0]["metadata"]["name"].startswith("plain-")


def test_a_finished_job_with_a_ttl_is_deleted_with_its_pods(sim: RunningDaemon) -> None:
    """ttlSecondsAfterFinished 0: once Complete, the TTL controller deletes the Job and the
    garbage collector its pod (Background propagation)."""
    ok(sim, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "brief"},
        "spec": {"ttlSecondsAfterFinished": 0, "template": pod_template()}}))
    deadline = time.monotonic() + 30
    left = "?"
    while time.monotonic() < deadline:
        jobs = ok(sim, "get", "jobs", "--ignore-not-found", "-o", "name")
        left = ok(sim, "get", "pods", "-l", "batch.kubernetes.io/job-name=brief", "-o", "name")
        if "job.batch/brief" not in jobs and not left.strip():
            return
        time.sleep(0.2)
    raise AssertionError(f"job brief or its pods remain: {left}")


def test_a_cron_job_runs_on_its_schedule(sim: RunningDaemon) -> None:
    """``@every 2s``: within seconds a Job ``<cronjob>-<minute>`` owned by the CronJob runs
    to Complete and the CronJob records lastScheduleTime and lastSuccessfulTime."""
    ok(sim, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "often"},
        "spec": {"schedule": "@every 2s", "concurrencyPolicy": "Forbid",
                 "jobTemplate": {"spec": {"template": pod_template()}}}}))
    deadline = time.monotonic() + 30
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = json.loads(ok(sim, "get", "cronjob", "often", "-o", "json")).get("status") or {}
        if status.get("lastSuccessfulTime"):
            break
        time.sleep(0.3)
    assert status.get("lastScheduleTime") and status.get("lastSuccessfulTime"), status
    jobs = json.loads(ok(sim, "get", "jobs", "-o", "json"))["items"]
    mine = [j for j in jobs if (j["metadata"].get("ownerReferences") or [{}])[0].get("name")
            == "often"]
    assert mine and all(j["metadata"]["name"].startswith("often-") for j in mine)
    assert "batch.kubernetes.io/cronjob-scheduled-timestamp" in mine[0]["metadata"][
        "annotations"]
    ok(sim, "delete", "cronjob", "often")


def test_an_indexed_job_completes_every_index(sim: RunningDaemon) -> None:
    """Indexed, completions 3: one pod per index (hostname ``<job>-<i>``, the index
    annotation) and completedIndexes ``0-2``."""
    ok(sim, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "idx"},
        "spec": {"completions": 3, "parallelism": 3, "completionMode": "Indexed",
                 "template": pod_template()}}))
    job = wait_job(sim, "idx", "Complete")
    assert job["status"]["completedIndexes"] == "0-2" and job["status"]["succeeded"] == 3
    pods = json.loads(ok(sim, "get", "pods", "-l", "batch.kubernetes.io/job-name=idx",
                         "-o", "json"))["items"]
    assert sorted(p["spec"]["hostname"] for p in pods) == ["idx-0", "idx-1", "idx-2"]
    assert sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
                  for p in pods) == ["0", "1", "2"]

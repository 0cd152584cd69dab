"""Schemas of the batch/v1 kinds Job and CronJob, read by the API server and the job and
cronjob controllers."""

from __future__ import annotations

from minikube_py.api.schema import array, boolean, int64, integer, obj, string, timestamp
from minikube_py.api.schemas.core_pod import POD_TEMPLATE_SPEC
from minikube_py.api.schemas.meta import LABEL_SELECTOR, OBJECT_META, OBJECT_REFERENCE, kind

POD_FAILURE_POLICY_ON_EXIT_CODES_REQUIREMENT = obj(
    "io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement",
    {
        "containerName": string("Only check this container."),
        "operator": string("In or NotIn.", enum=("In", "NotIn")),
        "values": array(integer(), "The exit codes.", list_type="set"),
    },
    required=("operator", "values"),
    description="Exit codes a pod failure rule matches.",
)

POD_FAILURE_POLICY_ON_POD_CONDITIONS_PATTERN = obj(
    "io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern",
    {
        "type": string("Pod condition type."),
        "status": string("Pod condition status; defaults to True."),
    },
    required=("type",),
    description="A pod condition a pod failure rule matches.",
)

POD_FAILURE_POLICY_RULE = obj(
    "io.k8s.api.batch.v1.PodFailurePolicyRule",
    {
        "action": string(
            "FailJob, FailIndex, Ignore or Count.", enum=("FailJob", "FailIndex", "Ignore", "Count")
        ),
        "onExitCodes": POD_FAILURE_POLICY_ON_EXIT_CODES_REQUIREMENT.describe(
            "Container exit codes the rule matches."
        ),
        "onPodConditions": array(
            POD_FAILURE_POLICY_ON_POD_CONDITIONS_PATTERN, "Pod conditions the rule matches."
        ),
    },
    required=("action",),
    description="One pod failure rule.",
)

POD_FAILURE_POLICY = obj(
    "io.k8s.api.batch.v1.PodFailurePolicy",
    {
        "rules": array(POD_FAILURE_POLICY_RULE, "Rules checked in order; the first match applies."),
    },
    required=("rules",),
    description="How pod failures affect a Job.",
)

SUCCESS_POLICY_RULE = obj(
    "io.k8s.api.batch.v1.SuccessPolicyRule",
    {
        "succeededIndexes": string("Indexes that must succeed, e.g. 0-3,5."),
        "succeededCount": integer("How many of those indexes must succeed."),
    },
    description="One success rule.",
)

SUCCESS_POLICY = obj(
    "io.k8s.api.batch.v1.SuccessPolicy",
    {
        "rules": array(SUCCESS_POLICY_RULE, "Rules ORed together."),
    },
    required=("rules",),
    description="When an Indexed Job counts as succeeded.",
)

JOB_SPEC = obj(
    "io.k8s.api.batch.v1.JobSpec",
    {
        "parallelism": integer("Most pods running at once."),
        "completions": integer("Successful pods needed; any one success when unset."),
        "activeDeadlineSeconds": int64("Seconds the Job may run before it is failed."),
        "podFailurePolicy": POD_FAILURE_POLICY.describe("Rules for how pod failures count."),
        "successPolicy": SUCCESS_POLICY.describe(
            "Rules for declaring an Indexed Job succeeded early."
        ),
        "backoffLimit": integer("Retries before the Job is failed; defaults to 6."),
        "backoffLimitPerIndex": integer("Retries per index of an Indexed Job."),
        "maxFailedIndexes": integer("Failed indexes before an Indexed Job is failed."),
        "selector": LABEL_SELECTOR.describe(
            "Labels of the pods the Job counts; generated unless manualSelector."
        ),
        "manualSelector": boolean("Use the given selector instead of a generated one."),
        "template": POD_TEMPLATE_SPEC.describe(
            "Template of the pods; restartPolicy must be Never or OnFailure."
        ),
        "ttlSecondsAfterFinished": integer("Seconds after finishing before the Job is deleted."),
        "completionMode": string("NonIndexed or Indexed.", enum=("NonIndexed", "Indexed")),
        "suspend": boolean("Create no pods while true."),
        "podReplacementPolicy": string(
            "When replacement pods are made: TerminatingOrFailed or Failed.",
            enum=("TerminatingOrFailed", "Failed"),
        ),
        "managedBy": string("Controller that manages the Job; empty for the built-in one."),
    },
    required=("template",),
    description="Desired state of a Job.",
)

JOB_CONDITION = obj(
    "io.k8s.api.batch.v1.JobCondition",
    {
        "type": string("Kind of condition, e.g. Complete or Failed."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastProbeTime": timestamp("When the condition was last checked."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a Job.",
)

UNCOUNTED_TERMINATED_PODS = obj(
    "io.k8s.api.batch.v1.UncountedTerminatedPods",
    {
        "succeeded": array(string(), "UIDs of succeeded pods.", list_type="set"),
        "failed": array(string(), "UIDs of failed pods.", list_type="set"),
    },
    description="UIDs of finished pods the Job has not counted yet.",
)

JOB_STATUS = obj(
    "io.k8s.api.batch.v1.JobStatus",
    {
        "conditions": array(
            JOB_CONDITION,
            "Conditions of the Job, e.g. Complete and Failed.",
            merge_key="type",
            list_type="atomic",
        ),
        "startTime": timestamp("When the controller started the Job."),
        "completionTime": timestamp("When the Job completed."),
        "active": integer("Pods pending or running."),
        "succeeded": integer("Pods that succeeded."),
        "failed": integer("Pods that failed."),
        "terminating": integer("Pods being terminated."),
        "completedIndexes": string("Completed indexes of an Indexed Job, e.g. 1,3-5."),
        "failedIndexes": string("Failed indexes of an Indexed Job."),
        "uncountedTerminatedPods": UNCOUNTED_TERMINATED_PODS.describe(
            "Finished pods not yet counted."
        ),
        "ready": integer("Active pods that are ready."),
    },
    description="Observed state of a Job.",
)

JOB = kind(
    "io.k8s.api.batch.v1.Job",
    {
        "spec": JOB_SPEC.describe("Desired state of the Job."),
        "status": JOB_STATUS.describe("Observed state of the Job, written by the system."),
    },
    description="Runs pods until a number of them complete.",
)

JOB_TEMPLATE_SPEC = obj(
    "io.k8s.api.batch.v1.JobTemplateSpec",
    {
        "metadata": OBJECT_META.describe("Labels and annotations of the Jobs."),
        "spec": JOB_SPEC.describe("Spec of the Jobs."),
    },
    description="Template of the Jobs a CronJob creates.",
)

CRON_JOB_SPEC = obj(
    "io.k8s.api.batch.v1.CronJobSpec",
    {
        "schedule": string("Schedule in cron format, e.g. */5 * * * *."),
        "timeZone": string("Time zone of the schedule, e.g. Europe/Paris."),
        "startingDeadlineSeconds": int64(
            "Seconds after a missed time during which the Job may still start."
        ),
        "concurrencyPolicy": string(
            "Allow, Forbid or Replace overlapping runs.", enum=("Allow", "Forbid", "Replace")
        ),
        "suspend": boolean("Create no new Jobs while true."),
        "jobTemplate": JOB_TEMPLATE_SPEC.describe("Template of the Jobs."),
        "successfulJobsHistoryLimit": integer("Successful Jobs to keep; defaults to 3."),
        "failedJobsHistoryLimit": integer("Failed Jobs to keep; defaults to 1."),
    },
    required=("schedule", "jobTemplate"),
    description="Desired state of a CronJob.",
)

CRON_JOB_STATUS = obj(
    "io.k8s.api.batch.v1.CronJobStatus",
    {
        "active": array(OBJECT_REFERENCE, "Jobs running now."),
        "lastScheduleTime": timestamp("When a Job was last scheduled."),
        "lastSuccessfulTime": timestamp("When a Job last succeeded."),
    },
    description="Observed state of a CronJob.",
)

CRON_JOB = kind(
    "io.k8s.api.batch.v1.CronJob",
    {
        "spec": CRON_JOB_SPEC.describe("Desired state of the CronJob."),
        "status": CRON_JOB_STATUS.describe("Observed state of the CronJob, written by the system."),
    },
    required=("spec",),
    description="Creates Jobs on a schedule.",
)

"""Schemas of autoscaling: the autoscaling/v1 ``Scale`` of the scale subresource and the
autoscaling/v2 ``HorizontalPodAutoscaler``."""

from __future__ import annotations

from minikube_py.api.schema import array, int64, integer, obj, quantity, string, timestamp
from minikube_py.api.schemas.meta import LABEL_SELECTOR, kind

SCALE_SPEC = obj(
    "io.k8s.api.autoscaling.v1.ScaleSpec",
    {
        "replicas": integer("Number of replicas wanted."),
    },
    description="Desired scale.",
)

SCALE_STATUS = obj(
    "io.k8s.api.autoscaling.v1.ScaleStatus",
    {
        "replicas": integer("Number of replicas running."),
        "selector": string("Label selector of the pods, in string form."),
    },
    required=("replicas",),
    description="Observed scale.",
)

SCALE = kind(
    "io.k8s.api.autoscaling.v1.Scale",
    {
        "spec": SCALE_SPEC.describe("Desired state of the Scale."),
        "status": SCALE_STATUS.describe("Observed state of the Scale, written by the system."),
    },
    description="The scale subresource of a workload.",
)

CROSS_VERSION_OBJECT_REFERENCE = obj(
    "io.k8s.api.autoscaling.v2.CrossVersionObjectReference",
    {
        "kind": string("Kind of the object."),
        "name": string("Name of the object."),
        "apiVersion": string("API version of the object."),
    },
    required=("kind", "name"),
    description="Names a scalable object.",
)

METRIC_TARGET = obj(
    "io.k8s.api.autoscaling.v2.MetricTarget",
    {
        "type": string("Utilization, Value or AverageValue."),
        "value": quantity("Target value."),
        "averageValue": quantity("Target value averaged over pods."),
        "averageUtilization": integer("Target average, as a percentage of the pods' requests."),
    },
    required=("type",),
    description="Target of a metric.",
)

METRIC_IDENTIFIER = obj(
    "io.k8s.api.autoscaling.v2.MetricIdentifier",
    {
        "name": string("Name of the metric."),
        "selector": LABEL_SELECTOR.describe("Label selector passed to the metrics server."),
    },
    required=("name",),
    description="Names a metric.",
)

OBJECT_METRIC_SOURCE = obj(
    "io.k8s.api.autoscaling.v2.ObjectMetricSource",
    {
        "describedObject": CROSS_VERSION_OBJECT_REFERENCE.describe(
            "The object the metric describes."
        ),
        "target": METRIC_TARGET.describe("Target value."),
        "metric": METRIC_IDENTIFIER.describe("Which metric."),
    },
    required=("describedObject", "target", "metric"),
    description="Scale on a metric of one object.",
)

PODS_METRIC_SOURCE = obj(
    "io.k8s.api.autoscaling.v2.PodsMetricSource",
    {
        "metric": METRIC_IDENTIFIER.describe("Which metric."),
        "target": METRIC_TARGET.describe("Target value; only AverageValue."),
    },
    required=("metric", "target"),
    description="Scale on a metric averaged over pods.",
)

RESOURCE_METRIC_SOURCE = obj(
    "io.k8s.api.autoscaling.v2.ResourceMetricSource",
    {
        "name": string("Resource name, e.g. cpu."),
        "target": METRIC_TARGET.describe("Target value or utilisation."),
    },
    required=("name", "target"),
    description="Scale on a resource of the pods.",
)

CONTAINER_RESOURCE_METRIC_SOURCE = obj(
    "io.k8s.api.autoscaling.v2.ContainerResourceMetricSource",
    {
        "name": string("Resource name, e.g. cpu."),
        "target": METRIC_TARGET.describe("Target value or utilisation."),
        "container": string("Name of the container."),
    },
    required=("name", "target", "container"),
    description="Scale on a resource of one container.",
)

EXTERNAL_METRIC_SOURCE = obj(
    "io.k8s.api.autoscaling.v2.ExternalMetricSource",
    {
        "metric": METRIC_IDENTIFIER.describe("Which metric."),
        "target": METRIC_TARGET.describe("Target value."),
    },
    required=("metric", "target"),
    description="Scale on a metric from outside the cluster.",
)

METRIC_SPEC = obj(
    "io.k8s.api.autoscaling.v2.MetricSpec",
    {
        "type": string("ContainerResource, External, Object, Pods or Resource."),
        "object": OBJECT_METRIC_SOURCE.describe("A metric of one Kubernetes object."),
        "pods": PODS_METRIC_SOURCE.describe("A metric averaged over the target's pods."),
        "resource": RESOURCE_METRIC_SOURCE.describe(
            "A resource (cpu, memory) of the target's pods."
        ),
        "containerResource": CONTAINER_RESOURCE_METRIC_SOURCE.describe(
            "A resource of one container of the target's pods."
        ),
        "external": EXTERNAL_METRIC_SOURCE.describe("A metric from outside the cluster."),
    },
    required=("type",),
    description="One metric to scale on; type says which field is set.",
)

HPA_SCALING_POLICY = obj(
    "io.k8s.api.autoscaling.v2.HPAScalingPolicy",
    {
        "type": string("Pods or Percent."),
        "value": integer("Change allowed per period."),
        "periodSeconds": integer("Length of the period in seconds."),
    },
    required=("type", "value", "periodSeconds"),
    description="A limit on how fast replicas may change.",
)

HPA_SCALING_RULES = obj(
    "io.k8s.api.autoscaling.v2.HPAScalingRules",
    {
        "stabilizationWindowSeconds": integer(
            "Seconds of past recommendations considered, to avoid flapping."
        ),
        "selectPolicy": string("Max, Min or Disabled: which policy wins."),
        "policies": array(HPA_SCALING_POLICY, "Limits on how fast replicas may change."),
        "tolerance": quantity("Relative metric change ignored before scaling."),
    },
    description="Scaling rules in one direction.",
)

HORIZONTAL_POD_AUTOSCALER_BEHAVIOR = obj(
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior",
    {
        "scaleUp": HPA_SCALING_RULES.describe("Rules for scaling up."),
        "scaleDown": HPA_SCALING_RULES.describe("Rules for scaling down."),
    },
    description="Scaling behaviour in each direction.",
)

HORIZONTAL_POD_AUTOSCALER_SPEC = obj(
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec",
    {
        "scaleTargetRef": CROSS_VERSION_OBJECT_REFERENCE.describe("Workload to scale."),
        "minReplicas": integer("Fewest replicas; defaults to 1."),
        "maxReplicas": integer("Most replicas."),
        "metrics": array(
            METRIC_SPEC, "Metrics to compute the replica count from; CPU at 80% when empty."
        ),
        "behavior": HORIZONTAL_POD_AUTOSCALER_BEHAVIOR.describe(
            "Scaling speed and stabilisation in each direction."
        ),
    },
    required=("scaleTargetRef", "maxReplicas"),
    description="Desired behaviour of an autoscaler.",
)

METRIC_VALUE_STATUS = obj(
    "io.k8s.api.autoscaling.v2.MetricValueStatus",
    {
        "value": quantity("Current value."),
        "averageValue": quantity("Current value averaged over pods."),
        "averageUtilization": integer("Current average, as a percentage of the pods' requests."),
    },
    description="Current value of a metric.",
)

OBJECT_METRIC_STATUS = obj(
    "io.k8s.api.autoscaling.v2.ObjectMetricStatus",
    {
        "metric": METRIC_IDENTIFIER.describe("Which metric."),
        "current": METRIC_VALUE_STATUS.describe("Current value."),
        "describedObject": CROSS_VERSION_OBJECT_REFERENCE.describe(
            "The object the metric describes."
        ),
    },
    required=("metric", "current", "describedObject"),
    description="Value of an object metric.",
)

PODS_METRIC_STATUS = obj(
    "io.k8s.api.autoscaling.v2.PodsMetricStatus",
    {
        "metric": METRIC_IDENTIFIER.describe("Which metric."),
        "current": METRIC_VALUE_STATUS.describe("Current value."),
    },
    required=("metric", "current"),
    description="Value of a pods metric.",
)

RESOURCE_METRIC_STATUS = obj(
    "io.k8s.api.autoscaling.v2.ResourceMetricStatus",
    {
        "name": string("Resource name."),
        "current": METRIC_VALUE_STATUS.describe("Current value."),
    },
    required=("name", "current"),
    description="Value of a resource metric.",
)

CONTAINER_RESOURCE_METRIC_STATUS = obj(
    "io.k8s.api.autoscaling.v2.ContainerResourceMetricStatus",
    {
        "name": string("Resource name."),
        "current": METRIC_VALUE_STATUS.describe("Current value."),
        "container": string("Name of the container."),
    },
    required=("name", "current", "container"),
    description="Value of a container resource metric.",
)

EXTERNAL_METRIC_STATUS = obj(
    "io.k8s.api.autoscaling.v2.ExternalMetricStatus",
    {
        "metric": METRIC_IDENTIFIER.describe("Which metric."),
        "current": METRIC_VALUE_STATUS.describe("Current value."),
    },
    required=("metric", "current"),
    description="Value of an external metric.",
)

METRIC_STATUS = obj(
    "io.k8s.api.autoscaling.v2.MetricStatus",
    {
        "type": string("ContainerResource, External, Object, Pods or Resource."),
        "object": OBJECT_METRIC_STATUS.describe("Value for an object metric."),
        "pods": PODS_METRIC_STATUS.describe("Value for a pods metric."),
        "resource": RESOURCE_METRIC_STATUS.describe("Value for a resource metric."),
        "containerResource": CONTAINER_RESOURCE_METRIC_STATUS.describe(
            "Value for a container resource metric."
        ),
        "external": EXTERNAL_METRIC_STATUS.describe("Value for an external metric."),
    },
    required=("type",),
    description="Last value of one metric.",
)

HORIZONTAL_POD_AUTOSCALER_CONDITION = obj(
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerCondition",
    {
        "type": string("Kind of condition."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of an autoscaler.",
)

HORIZONTAL_POD_AUTOSCALER_STATUS = obj(
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus",
    {
        "observedGeneration": int64("The metadata.generation that this status was computed from."),
        "lastScaleTime": timestamp("When the autoscaler last changed the replica count."),
        "currentReplicas": integer("Replicas of the target now."),
        "desiredReplicas": integer("Replicas the autoscaler last computed."),
        "currentMetrics": array(METRIC_STATUS, "Last values of the metrics."),
        "conditions": array(
            HORIZONTAL_POD_AUTOSCALER_CONDITION, "Conditions of the autoscaler.", merge_key="type"
        ),
    },
    required=("desiredReplicas",),
    description="Observed state of an autoscaler.",
)

HORIZONTAL_POD_AUTOSCALER = kind(
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
    {
        "spec": HORIZONTAL_POD_AUTOSCALER_SPEC.describe(
            "Desired state of the HorizontalPodAutoscaler."
        ),
        "status": HORIZONTAL_POD_AUTOSCALER_STATUS.describe(
            "Observed state of the HorizontalPodAutoscaler, written by the system."
        ),
    },
    required=("spec",),
    description="Scales a workload by observed metrics.",
)

# autoscaling/v1: the same stored HorizontalPodAutoscalers with one CPU target
# (api/kinds/autoscaling/horizontalpodautoscaler_v1.py converts).
CROSS_VERSION_OBJECT_REFERENCE_V1 = obj(
    "io.k8s.api.autoscaling.v1.CrossVersionObjectReference",
    {
        "kind": string("Kind of the object."),
        "name": string("Name of the object."),
        "apiVersion": string("API version of the object."),
    },
    required=("kind", "name"),
    description="Names a scalable object.",
)

HORIZONTAL_POD_AUTOSCALER_SPEC_V1 = obj(
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec",
    {
        "scaleTargetRef": CROSS_VERSION_OBJECT_REFERENCE_V1.describe("Workload to scale."),
        "minReplicas": integer("Fewest replicas; defaults to 1."),
        "maxReplicas": integer("Most replicas."),
        "targetCPUUtilizationPercentage": integer(
            "Target average CPU use, as a percentage of the pods' requests."),
    },
    required=("scaleTargetRef", "maxReplicas"),
    description="Desired behaviour of an autoscaler.",
)

HORIZONTAL_POD_AUTOSCALER_STATUS_V1 = obj(
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerStatus",
    {
        "observedGeneration": int64("The metadata.generation that this status was computed from."),
        "lastScaleTime": timestamp("When the autoscaler last changed the replica count."),
        "currentReplicas": integer("Replicas of the target now."),
        "desiredReplicas": integer("Replicas the autoscaler last computed."),
        "currentCPUUtilizationPercentage": integer(
            "Average CPU use now, as a percentage of the pods' requests."),
    },
    # (Kubernetes marks currentReplicas and desiredReplicas required; not here: kubectl's
    # protobuf body of `autoscale` leaves the zero status out.)
    description="Observed state of an autoscaler.",
)

HORIZONTAL_POD_AUTOSCALER_V1 = kind(
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler",
    {
        "spec": HORIZONTAL_POD_AUTOSCALER_SPEC_V1.describe(
            "Desired state of the HorizontalPodAutoscaler."),
        "status": HORIZONTAL_POD_AUTOSCALER_STATUS_V1.describe(
            "Observed state of the HorizontalPodAutoscaler, written by the system."),
    },
    description="Scales a workload by its pods' CPU use.",
)

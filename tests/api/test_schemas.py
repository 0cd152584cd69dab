"""Tests of the built-in kinds' schemas (api/schemas): field coverage, merge metadata, names.

Realistic manifests (what ``kubectl apply`` sends and what controllers and the kubelet write
back) must have no field the schemas call unknown, and the field sets are checked against the
models of the official Kubernetes Python client.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from minikube_py.api.schema import Schema, walk
from minikube_py.api.schemas import apps, autoscaling, batch, coordination, core, meta, policy

ALL_KINDS: dict[str, Schema] = {
    "Namespace": core.NAMESPACE,
    "Pod": core.POD,
    "Service": core.SERVICE,
    "Endpoints": core.ENDPOINTS,
    "Node": core.NODE,
    "ConfigMap": core.CONFIG_MAP,
    "Secret": core.SECRET,
    "Event": core.EVENT,
    "ServiceAccount": core.SERVICE_ACCOUNT,
    "ResourceQuota": core.RESOURCE_QUOTA,
    "LimitRange": core.LIMIT_RANGE,
    "PersistentVolume": core.PERSISTENT_VOLUME,
    "PersistentVolumeClaim": core.PERSISTENT_VOLUME_CLAIM,
    "ReplicationController": core.REPLICATION_CONTROLLER,
    "Binding": core.BINDING,
    "Deployment": apps.DEPLOYMENT,
    "ReplicaSet": apps.REPLICA_SET,
    "StatefulSet": apps.STATEFUL_SET,
    "DaemonSet": apps.DAEMON_SET,
    "ControllerRevision": apps.CONTROLLER_REVISION,
    "Job": batch.JOB,
    "CronJob": batch.CRON_JOB,
    "Lease": coordination.LEASE,
    "Scale": autoscaling.SCALE,
    "HorizontalPodAutoscaler": autoscaling.HORIZONTAL_POD_AUTOSCALER,
    "Eviction": policy.EVICTION,
}


# ---------------------------------------------------------------------------------------------
# A small walker: the field paths of a manifest that the schema does not know, and the required
# fields it lacks.


def problems(schema: Schema, value: Any, path: str = "") -> Iterator[str]:
    """Yield ``unknown: path`` and ``missing: path`` for ``value`` checked against ``schema``."""
    if schema.type == "any":
        return
    if schema.type == "object":
        assert isinstance(value, dict), f"{path}: expected an object"
        for name, child in value.items():
            sub = schema.fields.get(name)
            if sub is None:
                yield f"unknown: {path}.{name}"
            else:
                yield from problems(sub, child, f"{path}.{name}")
        for name in sorted(schema.required - set(value)):
            if path or name not in ("apiVersion", "kind"):
                yield f"missing: {path}.{name}"
    elif schema.type == "map":
        assert isinstance(value, dict), f"{path}: expected a map"
        assert schema.items is not None
        for key, child in value.items():
            yield from problems(schema.items, child, f"{path}[{key}]")
    elif schema.type == "array":
        assert isinstance(value, list), f"{path}: expected a list"
        assert schema.items is not None
        for i, child in enumerate(value):
            yield from problems(schema.items, child, f"{path}[{i}]")
    else:
        assert _scalar_fits(schema, value), f"{path}: {value!r} is not a {schema.type}"


def _scalar_fits(schema: Schema, value: Any) -> bool:
    if schema.type == "string":
        return isinstance(value, str) and (schema.enum is None or value in schema.enum)
    if schema.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if schema.type == "boolean":
        return isinstance(value, bool)
    if schema.type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if schema.type in ("quantity", "int-or-string"):
        return isinstance(value, int | str) and not isinstance(value, bool)
    return False


def object_nodes(schema: Schema, path: str = "") -> Iterator[tuple[str, Schema]]:
    """Every object node under ``schema`` with its path (array and map levels crossed)."""
    if schema.type == "object":
        yield path, schema
        for name, child in schema.fields.items():
            yield from object_nodes(child, f"{path}.{name}")
    elif schema.items is not None:
        yield from object_nodes(schema.items, f"{path}[]")


# ---------------------------------------------------------------------------------------------
# Manifests as users write them and as the system writes their status.

CONTAINER_APP = {
    "name": "web",
    "image": "nginx:1.27",
    "imagePullPolicy": "IfNotPresent",
    "command": ["nginx"],
    "args": ["-g", "daemon off;"],
    "workingDir": "/srv",
    "ports": [
        {"name": "http", "containerPort": 8080, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9090, "hostPort": 19090, "hostIP": "0.0.0.0"},
    ],
    "env": [
        {"name": "MODE", "value": "production"},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                      "fieldPath": "status.podIP"}}},
        {"name": "CPU_LIMIT", "valueFrom": {"resourceFieldRef": {
            "containerName": "web", "resource": "limits.cpu", "divisor": "1m"}}},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {
            "name": "db", "key": "password", "optional": False}}},
        {"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "web", "key": "level"}}},
    ],
    "envFrom": [
        {"configMapRef": {"name": "web-env"}},
        {"prefix": "SECRET_", "secretRef": {"name": "web-secrets", "optional": True}},
    ],
    "resources": {
        "requests": {"cpu": "250m", "memory": "128Mi"},
        "limits": {"cpu": 1, "memory": "256Mi", "nvidia.com/gpu": "1"},
    },
    "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
    "volumeMounts": [
        {"name": "cache", "mountPath": "/var/cache/nginx"},
        {"name": "config", "mountPath": "/etc/nginx/conf.d", "readOnly": True},
        {"name": "data", "mountPath": "/srv/data", "subPath": "web",
         "mountPropagation": "None"},
        {"name": "podinfo", "mountPath": "/etc/podinfo", "subPathExpr": "$(POD_NAME)"},
    ],
    "livenessProbe": {
        "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP",
                    "httpHeaders": [{"name": "X-Probe", "value": "liveness"}]},
        "initialDelaySeconds": 5, "periodSeconds": 10, "timeoutSeconds": 2,
        "failureThreshold": 3, "successThreshold": 1, "terminationGracePeriodSeconds": 15,
    },
    "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5},
    "startupProbe": {"exec": {"command": ["cat", "/tmp/started"]}, "failureThreshold": 30},
    "lifecycle": {
        "postStart": {"httpGet": {"path": "/warmup", "port": 8080, "host": "localhost"}},
        "preStop": {"sleep": {"seconds": 5}},
    },
    "securityContext": {
        "runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": True,
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
        "privileged": False, "procMount": "Default",
        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        "seccompProfile": {"type": "RuntimeDefault"},
        "appArmorProfile": {"type": "RuntimeDefault"},
        "seLinuxOptions": {"level": "s0:c123,c456"},
    },
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "FallbackToLogsOnError",
    "stdin": False, "stdinOnce": False, "tty": False,
}

CONTAINER_SIDECAR = {
    "name": "log-shipper",
    "image": "fluent/fluent-bit:3.1",
    "restartPolicy": "Always",
    "volumeMounts": [{"name": "logs", "mountPath": "/var/log/app", "readOnly": True,
                      "recursiveReadOnly": "IfPossible"}],
    "readinessProbe": {"grpc": {"port": 2020, "service": "health"}},
    "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}},
}

POD_SPEC = {
    "initContainers": [
        {"name": "migrate", "image": "app/migrate:2.0", "command": ["sh", "-c", "migrate up"],
         "envFrom": [{"secretRef": {"name": "db"}}]},
        CONTAINER_SIDECAR,
    ],
    "containers": [
        CONTAINER_APP,
        {"name": "debug-shell", "image": "busybox:1.36", "stdin": True, "tty": True,
         "volumeDevices": [{"name": "raw", "devicePath": "/dev/xvda"}]},
    ],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 45,
    "activeDeadlineSeconds": 86400,
    "dnsPolicy": "ClusterFirst",
    "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["corp.example"],
                  "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]},
    "nodeSelector": {"kubernetes.io/os": "linux", "disktype": "ssd"},
    "serviceAccountName": "web",
    "automountServiceAccountToken": False,
    "enableServiceLinks": False,
    "shareProcessNamespace": True,
    "hostname": "web-0",
    "subdomain": "web",
    "setHostnameAsFQDN": False,
    "hostAliases": [{"ip": "10.1.2.3", "hostnames": ["legacy.local", "legacy"]}],
    "imagePullSecrets": [{"name": "registry-creds"}],
    "priorityClassName": "high",
    "preemptionPolicy": "PreemptLowerPriority",
    "schedulerName": "default-scheduler",
    "runtimeClassName": "runc",
    "os": {"name": "linux"},
    "readinessGates": [{"conditionType": "example.com/feature-ready"}],
    "schedulingGates": [{"name": "example.com/quota-check"}],
    "securityContext": {
        "runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000,
        "fsGroupChangePolicy": "OnRootMismatch", "supplementalGroups": [4000],
        "supplementalGroupsPolicy": "Merge", "runAsNonRoot": True,
        "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65000"}],
        "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/audit.json"},
        "seLinuxChangePolicy": "MountOption",
    },
    "affinity": {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "topology.kubernetes.io/zone",
                                       "operator": "In", "values": ["zone-a", "zone-b"]}]},
                {"matchFields": [{"key": "metadata.name", "operator": "NotIn",
                                  "values": ["node-9"]}]},
            ]},
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 50, "preference": {"matchExpressions": [
                    {"key": "cpu-count", "operator": "Gt", "values": ["8"]}]}},
            ],
        },
        "podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {
                "labelSelector": {"matchLabels": {"app": "cache"}},
                "topologyKey": "kubernetes.io/hostname",
                "namespaceSelector": {}, "matchLabelKeys": ["pod-template-hash"]}},
        ]},
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchExpressions": [
                {"key": "app", "operator": "In", "values": ["web"]}]},
             "topologyKey": "kubernetes.io/hostname", "namespaces": ["default"],
             "mismatchLabelKeys": ["tenant"]},
        ]},
    },
    "tolerations": [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
        {"operator": "Exists"},
    ],
    "topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
         "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": {"app": "web"}},
         "minDomains": 2, "nodeAffinityPolicy": "Honor", "nodeTaintsPolicy": "Ignore",
         "matchLabelKeys": ["pod-template-hash"]},
    ],
    "volumes": [
        {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
        {"name": "logs", "emptyDir": {}},
        {"name": "host-certs", "hostPath": {"path": "/etc/ssl/certs", "type": "Directory"}},
        {"name": "config", "configMap": {"name": "web", "defaultMode": 0o444,
                                         "items": [{"key": "nginx.conf", "path": "default.conf",
                                                    "mode": 0o400}]}},
        {"name": "tls", "secret": {"secretName": "web-tls", "optional": True}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "web-data", "readOnly": False}},
        {"name": "raw", "persistentVolumeClaim": {"claimName": "raw-block"}},
        {"name": "shared", "nfs": {"server": "nfs.example", "path": "/exports/web",
                                   "readOnly": True}},
        {"name": "inline-csi", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                                       "volumeAttributes": {"secretProviderClass": "vault"},
                                       "nodePublishSecretRef": {"name": "vault-creds"}}},
        {"name": "podinfo", "downwardAPI": {"items": [
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
            {"path": "mem", "resourceFieldRef": {"containerName": "web",
                                                 "resource": "limits.memory",
                                                 "divisor": "1Mi"}},
        ]}},
        {"name": "all-in-one", "projected": {"defaultMode": 0o440, "sources": [
            {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600,
                                     "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt",
                           "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"secret": {"name": "extra", "optional": True}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
            {"clusterTrustBundle": {"signerName": "example.com/signer", "path": "bundle.pem",
                                    "labelSelector": {"matchLabels": {"trust": "yes"}}}},
        ]}},
        {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {
            "metadata": {"labels": {"type": "scratch"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                     "resources": {"requests": {"storage": "1Gi"}}}}}},
        {"name": "models", "image": {"reference": "registry.example/models:v1",
                                     "pullPolicy": "IfNotPresent"}},
        {"name": "legacy-disk", "awsElasticBlockStore": {"volumeID": "vol-123",
                                                         "fsType": "ext4"}},
    ],
}

POD_STATUS = {
    "phase": "Running",
    "conditions": [
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
         "lastTransitionTime": "2025-01-01T00:00:00Z"},
        {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
         "message": "containers with unready status: [web]", "observedGeneration": 1,
         "lastTransitionTime": "2025-01-01T00:00:05Z"},
    ],
    "hostIP": "192.168.49.2",
    "hostIPs": [{"ip": "192.168.49.2"}],
    "podIP": "10.244.0.7",
    "podIPs": [{"ip": "10.244.0.7"}, {"ip": "fd00::7"}],
    "startTime": "2025-01-01T00:00:01Z",
    "qosClass": "Burstable",
    "observedGeneration": 1,
    "initContainerStatuses": [
        {"name": "migrate", "ready": False, "restartCount": 0, "image": "app/migrate:2.0",
         "imageID": "docker-pullable://app/migrate@sha256:abc", "started": False,
         "containerID": "docker://1111",
         "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                  "startedAt": "2025-01-01T00:00:01Z",
                                  "finishedAt": "2025-01-01T00:00:02Z",
                                  "containerID": "docker://1111"}}},
    ],
    "containerStatuses": [
        {"name": "web", "ready": True, "started": True, "restartCount": 2,
         "image": "nginx:1.27", "imageID": "docker-pullable://nginx@sha256:def",
         "containerID": "docker://2222",
         "state": {"running": {"startedAt": "2025-01-01T00:10:00Z"}},
         "lastState": {"terminated": {"exitCode": 137, "signal": 9, "reason": "OOMKilled",
                                      "message": "memory limit exceeded",
                                      "startedAt": "2025-01-01T00:00:03Z",
                                      "finishedAt": "2025-01-01T00:09:59Z"}},
         "resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "256Mi"}},
         "allocatedResources": {"cpu": "250m"},
         "volumeMounts": [{"name": "cache", "mountPath": "/var/cache/nginx"}],
         "user": {"linux": {"uid": 1000, "gid": 1000, "supplementalGroups": [1000, 4000]}}},
        {"name": "debug-shell", "ready": False, "restartCount": 5, "image": "busybox:1.36",
         "imageID": "", "state": {"waiting": {"reason": "CrashLoopBackOff",
                                              "message": "back-off 5m0s restarting"}}},
    ],
}

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web-0",
        "namespace": "shop",
        "uid": "8c4ac8a0-0e5b-4b4a-8f1c-0a0a0a0a0a0a",
        "resourceVersion": "4711",
        "generation": 1,
        "creationTimestamp": "2025-01-01T00:00:00Z",
        "labels": {"app": "web", "tier": "frontend"},
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9c",
             "uid": "11111111-2222-3333-4444-555555555555", "controller": True,
             "blockOwnerDeletion": True},
        ],
        "finalizers": ["example.com/cleanup"],
        "managedFields": [
            {"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
             "time": "2025-01-01T00:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}},
        ],
    },
    "spec": POD_SPEC,
    "status": POD_STATUS,
}

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "minReadySeconds": 5,
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": 600,
        "paused": False,
        "template": {
            "metadata": {"labels": {"app": "web"},
                         "annotations": {"prometheus.io/scrape": "true"}},
            "spec": {
                "containers": [CONTAINER_APP],
                "volumes": POD_SPEC["volumes"],
                "affinity": POD_SPEC["affinity"],
                "tolerations": POD_SPEC["tolerations"],
                "securityContext": POD_SPEC["securityContext"],
                "topologySpreadConstraints": POD_SPEC["topologySpreadConstraints"],
            },
        },
    },
    "status": {
        "observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 2,
        "availableReplicas": 2, "unavailableReplicas": 1, "terminatingReplicas": 0,
        "collisionCount": 0,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "message": "Deployment has minimum availability.",
             "lastUpdateTime": "2025-01-01T00:00:00Z",
             "lastTransitionTime": "2025-01-01T00:00:00Z"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "lastUpdateTime": "2025-01-01T00:00:00Z",
             "lastTransitionTime": "2025-01-01T00:00:00Z"},
        ],
    },
}

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "type": "NodePort",
        "selector": {"app": "web"},
        "ports": [
            {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP",
             "nodePort": 30080, "appProtocol": "http"},
            {"name": "metrics", "port": 9090, "targetPort": 9090},
        ],
        "clusterIP": "10.96.0.42",
        "clusterIPs": ["10.96.0.42"],
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "sessionAffinity": "ClientIP",
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 3600}},
        "externalTrafficPolicy": "Local",
        "internalTrafficPolicy": "Cluster",
        "externalIPs": ["203.0.113.10"],
        "publishNotReadyAddresses": False,
        "trafficDistribution": "PreferClose",
    },
    "status": {
        "loadBalancer": {"ingress": [{"ip": "203.0.113.10", "ipMode": "VIP",
                                      "ports": [{"port": 80, "protocol": "TCP"}]}]},
        "conditions": [{"type": "Ready", "status": "True", "reason": "Ok", "message": "",
                        "lastTransitionTime": "2025-01-01T00:00:00Z"}],
    },
}

STATEFUL_SET = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "db", "namespace": "shop"},
    "spec": {
        "serviceName": "db",
        "replicas": 3,
        "podManagementPolicy": "OrderedReady",
        "selector": {"matchLabels": {"app": "db"}},
        "updateStrategy": {"type": "RollingUpdate",
                           "rollingUpdate": {"partition": 1, "maxUnavailable": 1}},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain",
                                                 "whenScaled": "Delete"},
        "ordinals": {"start": 0},
        "minReadySeconds": 10,
        "revisionHistoryLimit": 10,
        "template": {
            "metadata": {"labels": {"app": "db"}},
            "spec": {
                "terminationGracePeriodSeconds": 30,
                "containers": [{
                    "name": "postgres", "image": "postgres:17",
                    "ports": [{"name": "pg", "containerPort": 5432}],
                    "env": [{"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
                    "readinessProbe": {"exec": {"command": ["pg_isready"]}},
                }],
            },
        },
        "volumeClaimTemplates": [{
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "labels": {"app": "db"}},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard",
                "volumeMode": "Filesystem",
                "resources": {"requests": {"storage": "10Gi"}, "limits": {"storage": "20Gi"}},
                "selector": {"matchLabels": {"tier": "fast"}},
            },
        }],
    },
    "status": {
        "observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "currentReplicas": 3,
        "updatedReplicas": 3, "availableReplicas": 3, "currentRevision": "db-5b8c",
        "updateRevision": "db-5b8c", "collisionCount": 0,
    },
}

CRON_JOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "report", "namespace": "shop"},
    "spec": {
        "schedule": "*/15 * * * *",
        "timeZone": "Europe/Berlin",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 120,
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
        "jobTemplate": {
            "metadata": {"labels": {"job": "report"}},
            "spec": {
                "completions": 4,
                "parallelism": 2,
                "completionMode": "Indexed",
                "backoffLimitPerIndex": 1,
                "maxFailedIndexes": 2,
                "activeDeadlineSeconds": 600,
                "ttlSecondsAfterFinished": 3600,
                "podReplacementPolicy": "Failed",
                "podFailurePolicy": {"rules": [
                    {"action": "FailJob", "onExitCodes": {"containerName": "report",
                                                          "operator": "In", "values": [42]}},
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget",
                                                              "status": "True"}]},
                ]},
                "successPolicy": {"rules": [{"succeededIndexes": "0-2", "succeededCount": 2}]},
                "template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "report", "image": "app/report:1",
                                    "args": ["--since", "15m"]}],
                }},
            },
        },
    },
    "status": {
        "active": [{"kind": "Job", "namespace": "shop", "name": "report-28934520",
                    "uid": "aaaa", "apiVersion": "batch/v1", "resourceVersion": "99"}],
        "lastScheduleTime": "2025-01-01T00:15:00Z",
        "lastSuccessfulTime": "2025-01-01T00:00:30Z",
    },
}

JOB_STATUS = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "pi", "namespace": "default"},
    "spec": {"backoffLimit": 4, "template": {"spec": {
        "restartPolicy": "OnFailure",
        "containers": [{"name": "pi", "image": "perl:5.40",
                        "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]}]}}},
    "status": {
        "startTime": "2025-01-01T00:00:00Z", "completionTime": "2025-01-01T00:01:00Z",
        "active": 0, "succeeded": 1, "failed": 0, "ready": 0, "terminating": 0,
        "completedIndexes": "", "uncountedTerminatedPods": {"succeeded": [], "failed": []},
        "conditions": [{"type": "Complete", "status": "True",
                        "lastProbeTime": "2025-01-01T00:01:00Z",
                        "lastTransitionTime": "2025-01-01T00:01:00Z"}],
    },
}

NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "minikube-py", "labels": {"kubernetes.io/hostname": "minikube-py",
                                                   "topology.kubernetes.io/zone": "zone-a"}},
    "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"],
             "unschedulable": False, "providerID": "minikube-py://node-1",
             "taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute",
                         "timeAdded": "2025-01-01T00:00:00Z"}]},
    "status": {
        "capacity": {"cpu": "8", "memory": "16Gi", "pods": "110", "nvidia.com/gpu": "1",
                     "ephemeral-storage": "100Gi"},
        "allocatable": {"cpu": "7500m", "memory": "15Gi", "pods": "110"},
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": "2025-01-01T00:00:00Z",
                        "lastTransitionTime": "2025-01-01T00:00:00Z"}],
        "addresses": [{"type": "InternalIP", "address": "192.168.49.2"},
                      {"type": "Hostname", "address": "minikube-py"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b",
                     "kernelVersion": "6.8.0", "osImage": "Ubuntu 24.04",
                     "containerRuntimeVersion": "docker://27.3.1", "kubeletVersion": "v1.32.0",
                     "kubeProxyVersion": "", "operatingSystem": "linux",
                     "architecture": "amd64", "swap": {"capacity": 0}},
        "images": [{"names": ["nginx:1.27"], "sizeBytes": 187654321}],
        "volumesInUse": [], "volumesAttached": [],
        "runtimeHandlers": [{"name": "", "features": {"recursiveReadOnlyMounts": True,
                                                      "userNamespaces": False}}],
        "features": {"supplementalGroupsPolicy": True},
    },
}

EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "web-0.181a2b3c4d5e6f70", "namespace": "shop"},
    "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-0", "uid": "8c4a",
                       "apiVersion": "v1", "resourceVersion": "4711",
                       "fieldPath": "spec.containers{web}"},
    "reason": "BackOff",
    "message": "Back-off restarting failed container web",
    "source": {"component": "kubelet", "host": "minikube-py"},
    "firstTimestamp": "2025-01-01T00:00:00Z",
    "lastTimestamp": "2025-01-01T00:05:00Z",
    "count": 7,
    "type": "Warning",
    "eventTime": None,
    "reportingComponent": "kubelet",
    "reportingInstance": "minikube-py",
    "action": "Restarting",
    "series": {"count": 7, "lastObservedTime": "2025-01-01T00:05:00.123456Z"},
    "related": {"kind": "Node", "name": "minikube-py"},
}

HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2,
        "maxReplicas": 10,
        "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": 70}}},
            {"type": "ContainerResource", "containerResource": {
                "name": "memory", "container": "web",
                "target": {"type": "AverageValue", "averageValue": "200Mi"}}},
            {"type": "Pods", "pods": {"metric": {"name": "rps"},
                                      "target": {"type": "AverageValue", "averageValue": "100"}}},
            {"type": "Object", "object": {
                "describedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                    "name": "main"},
                "metric": {"name": "requests", "selector": {"matchLabels": {"v": "1"}}},
                "target": {"type": "Value", "value": "10k"}}},
            {"type": "External", "external": {"metric": {"name": "queue_depth"},
                                              "target": {"type": "Value", "value": "30"}}},
        ],
        "behavior": {
            "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Min",
                          "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]},
            "scaleUp": {"policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}],
                        "tolerance": "0.05"},
        },
    },
    "status": {
        "observedGeneration": 1, "lastScaleTime": "2025-01-01T00:00:00Z",
        "currentReplicas": 3, "desiredReplicas": 4,
        "currentMetrics": [{"type": "Resource", "resource": {
            "name": "cpu", "current": {"averageUtilization": 85, "averageValue": "425m"}}}],
        "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "lastTransitionTime": "2025-01-01T00:00:00Z"}],
    },
}

PERSISTENT_VOLUME = {
    "apiVersion": "v1",
    "kind": "PersistentVolume",
    "metadata": {"name": "pv-local-1"},
    "spec": {
        "capacity": {"storage": "50Gi"},
        "accessModes": ["ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Delete",
        "storageClassName": "standard",
        "volumeMode": "Filesystem",
        "mountOptions": ["noatime"],
        "hostPath": {"path": "/data/pv-local-1", "type": "DirectoryOrCreate"},
        "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data-db-0",
                     "uid": "cccc", "apiVersion": "v1", "resourceVersion": "12"},
        "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["minikube-py"]}]}]}},
    },
    "status": {"phase": "Bound", "lastPhaseTransitionTime": "2025-01-01T00:00:00Z"},
}

PERSISTENT_VOLUME_CLAIM = {
    "apiVersion": "v1",
    "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data-db-0", "namespace": "shop"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
             "storageClassName": "standard", "volumeName": "pv-local-1",
             "dataSource": {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot",
                            "name": "snap-1"}},
    "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"],
               "capacity": {"storage": "50Gi"},
               "conditions": [{"type": "Resizing", "status": "False"}]},
}

DAEMON_SET = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "node-exporter", "namespace": "monitoring"},
    "spec": {
        "selector": {"matchLabels": {"app": "node-exporter"}},
        "updateStrategy": {"type": "RollingUpdate",
                           "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        "template": {"metadata": {"labels": {"app": "node-exporter"}}, "spec": {
            "hostNetwork": True, "hostPID": True,
            "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "exporter", "image": "prom/node-exporter:v1.8.2",
                            "ports": [{"containerPort": 9100, "hostPort": 9100}]}]}},
    },
    "status": {"currentNumberScheduled": 1, "numberMisscheduled": 0,
               "desiredNumberScheduled": 1, "numberReady": 1, "updatedNumberScheduled": 1,
               "numberAvailable": 1, "observedGeneration": 1},
}

SMALL_KINDS = [
    ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"},
      "spec": {"finalizers": ["kubernetes"]},
      "status": {"phase": "Terminating", "conditions": [
          {"type": "NamespaceDeletionContentFailure", "status": "False"}]}}, "Namespace"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"},
      "data": {"level": "info"}, "binaryData": {"logo.png": "iVBORw0KGgo="},
      "immutable": False}, "ConfigMap"),
    ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "type": "Opaque",
      "data": {"password": "c2VjcmV0"}, "stringData": {"user": "app"}}, "Secret"),
    ({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web"},
      "automountServiceAccountToken": False, "imagePullSecrets": [{"name": "registry-creds"}],
      "secrets": [{"name": "web-token"}]}, "ServiceAccount"),
    ({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"}, "subsets": [
        {"addresses": [{"ip": "10.244.0.7", "nodeName": "minikube-py",
                        "targetRef": {"kind": "Pod", "name": "web-0", "namespace": "shop"}}],
         "notReadyAddresses": [{"ip": "10.244.0.8", "hostname": "web-1"}],
         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]}, "Endpoints"),
    ({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
      "spec": {"hard": {"requests.cpu": "4", "pods": "20"}, "scopes": ["NotBestEffort"],
               "scopeSelector": {"matchExpressions": [
                   {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}},
      "status": {"hard": {"pods": "20"}, "used": {"pods": "3"}}}, "ResourceQuota"),
    ({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
      "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"},
                           "defaultRequest": {"cpu": "100m"}, "max": {"memory": "1Gi"},
                           "min": {"memory": "4Mi"},
                           "maxLimitRequestRatio": {"cpu": "10"}}]}}, "LimitRange"),
    ({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
      "spec": {"replicas": 1, "selector": {"app": "rc"}, "template": {
          "metadata": {"labels": {"app": "rc"}},
          "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
      "status": {"replicas": 1, "readyReplicas": 1}}, "ReplicationController"),
    ({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web-0"},
      "target": {"apiVersion": "v1", "kind": "Node", "name": "minikube-py"}}, "Binding"),
    ({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-7d9c"},
      "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
          "metadata": {"labels": {"app": "web"}},
          "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
      "status": {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 2,
                 "availableReplicas": 2, "observedGeneration": 1}}, "ReplicaSet"),
    ({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "db-5b8c"},
      "data": {"spec": {"template": {"$patch": "replace"}}}, "revision": 3},
     "ControllerRevision"),
    ({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
      "metadata": {"name": "minikube-py", "namespace": "kube-node-lease"},
      "spec": {"holderIdentity": "minikube-py", "leaseDurationSeconds": 40,
               "acquireTime": "2025-01-01T00:00:00.000000Z",
               "renewTime": "2025-01-01T00:00:10.000000Z", "leaseTransitions": 0}}, "Lease"),
    ({"apiVersion": "autoscaling/v1", "kind": "Scale",
      "metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 5},
      "status": {"replicas": 3, "selector": "app=web"}}, "Scale"),
    ({"apiVersion": "policy/v1", "kind": "Eviction",
      "metadata": {"name": "web-0", "namespace": "shop"},
      "deleteOptions": {"gracePeriodSeconds": 10, "propagationPolicy": "Background",
                        "preconditions": {"uid": "8c4a", "resourceVersion": "4711"},
                        "dryRun": ["All"]}}, "Eviction"),
]

MANIFESTS = [
    pytest.param(POD, "Pod", id="multi-container-pod-with-status"),
    pytest.param(DEPLOYMENT, "Deployment", id="deployment-probes-volumes-affinity"),
    pytest.param(SERVICE, "Service", id="nodeport-service"),
    pytest.param(STATEFUL_SET, "StatefulSet", id="statefulset-volume-claim-templates"),
    pytest.param(CRON_JOB, "CronJob", id="indexed-cronjob"),
    pytest.param(JOB_STATUS, "Job", id="finished-job"),
    pytest.param(NODE, "Node", id="node-with-status"),
    pytest.param(EVENT, "Event", id="core-event"),
    pytest.param(HPA, "HorizontalPodAutoscaler", id="hpa-v2-all-metric-kinds"),
    pytest.param(PERSISTENT_VOLUME, "PersistentVolume", id="hostpath-pv"),
    pytest.param(PERSISTENT_VOLUME_CLAIM, "PersistentVolumeClaim", id="bound-pvc"),
    pytest.param(DAEMON_SET, "DaemonSet", id="daemonset"),
    *(pytest.param(m, k, id=k.lower()) for m, k in SMALL_KINDS),
]


@pytest.mark.parametrize(("manifest", "kind_name"), MANIFESTS)
def test_realistic_manifest_has_only_known_fields(manifest: dict[str, Any], kind_name: str):
    """Every field path of a manifest a real cluster accepts is known and no required one lacks."""
    clean = _drop_nulls(manifest)
    assert list(problems(ALL_KINDS[kind_name], clean)) == []


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("manifest", "kind_name", "expected"),
    [
        pytest.param({"spec": {"containers": [{"name": "a", "imagePullPolice": "Always"}]}},
                     "Pod", ["unknown: .spec.containers[0].imagePullPolice"],
                     id="typo-in-container"),
        pytest.param({"spec": {"selector": {}, "template": {"spec": {
            "containers": [{"name": "a"}], "nodeSelecter": {}}}}},
            "Deployment", ["unknown: .spec.template.spec.nodeSelecter"], id="typo-in-template"),
        pytest.param({"spec": {"ports": [{"targetPort": 80}]}}, "Service",
                     ["missing: .spec.ports[0].port"], id="service-port-without-port"),
        pytest.param({"spec": {"template": {}}}, "Deployment",
                     ["missing: .spec.selector"], id="deployment-without-selector"),
        pytest.param({"metadata": {"ownerReferences": [{"kind": "X", "name": "y"}]}},
                     "ConfigMap", ["missing: .metadata.ownerReferences[0].apiVersion",
                                   "missing: .metadata.ownerReferences[0].uid"],
                     id="owner-reference-incomplete"),
    ],
)
def test_walker_reports_unknown_and_missing(manifest, kind_name, expected):
    """The schemas are strict: misspelt fields are unknown and required fields are enforced."""
    assert list(problems(ALL_KINDS[kind_name], manifest)) == expected


# ---------------------------------------------------------------------------------------------
# Strategic merge metadata, as Kubernetes' patchMergeKey/patchStrategy tags.

POD_CONTAINER = ("spec", "containers")


@pytest.mark.parametrize(
    ("schema", "path", "merge_key", "strategy", "list_type", "map_keys"),
    [
        pytest.param(core.POD, ("spec", "containers"), "name", "merge", "map", ("name",),
                     id="containers"),
        pytest.param(core.POD, ("spec", "initContainers"), "name", "merge", "map", ("name",),
                     id="init-containers"),
        pytest.param(core.POD, ("spec", "ephemeralContainers"), "name", "merge", "map",
                     ("name",), id="ephemeral-containers"),
        pytest.param(core.POD, (*POD_CONTAINER, "ports"), "containerPort", "merge", "map",
                     ("containerPort", "protocol"), id="container-ports"),
        pytest.param(core.POD, (*POD_CONTAINER, "env"), "name", "merge", "map", ("name",),
                     id="env"),
        pytest.param(core.POD, (*POD_CONTAINER, "volumeMounts"), "mountPath", "merge", "map",
                     ("mountPath",), id="volume-mounts"),
        pytest.param(core.POD, (*POD_CONTAINER, "volumeDevices"), "devicePath", "merge", "map",
                     ("devicePath",), id="volume-devices"),
        pytest.param(core.POD, (*POD_CONTAINER, "args"), None, None, "atomic", (), id="args"),
        pytest.param(core.POD, (*POD_CONTAINER, "envFrom"), None, None, "atomic", (),
                     id="env-from"),
        pytest.param(core.POD, ("spec", "volumes"), "name", "merge,retainKeys", "map",
                     ("name",), id="volumes"),
        pytest.param(core.POD, ("spec", "imagePullSecrets"), "name", "merge", "map", ("name",),
                     id="image-pull-secrets"),
        pytest.param(core.POD, ("spec", "hostAliases"), "ip", "merge", "map", ("ip",),
                     id="host-aliases"),
        pytest.param(core.POD, ("spec", "tolerations"), None, None, "atomic", (),
                     id="tolerations-atomic"),
        pytest.param(core.POD, ("spec", "topologySpreadConstraints"), "topologyKey", "merge",
                     "map", ("topologyKey", "whenUnsatisfiable"), id="topology-spread"),
        pytest.param(core.POD, ("spec", "resourceClaims"), "name", "merge,retainKeys", "map",
                     ("name",), id="resource-claims"),
        pytest.param(core.POD, ("status", "conditions"), "type", "merge", "map", ("type",),
                     id="pod-conditions"),
        pytest.param(core.POD, ("status", "podIPs"), "ip", "merge", "map", ("ip",),
                     id="pod-ips"),
        pytest.param(core.POD, ("status", "containerStatuses"), None, None, "atomic", (),
                     id="container-statuses"),
        pytest.param(core.POD, ("metadata", "finalizers"), None, "merge", "set", (),
                     id="finalizers"),
        pytest.param(core.POD, ("metadata", "ownerReferences"), "uid", "merge", "map",
                     ("uid",), id="owner-references"),
        pytest.param(core.SERVICE, ("spec", "ports"), "port", "merge", "map",
                     ("port", "protocol"), id="service-ports"),
        pytest.param(core.NODE, ("spec", "podCIDRs"), None, "merge", "set", (), id="pod-cidrs"),
        pytest.param(core.NODE, ("spec", "taints"), None, None, "atomic", (), id="taints"),
        pytest.param(core.NODE, ("status", "addresses"), "type", "merge", "map", ("type",),
                     id="node-addresses"),
        pytest.param(core.SERVICE_ACCOUNT, ("secrets",), "name", "merge", "map", ("name",),
                     id="service-account-secrets"),
        pytest.param(apps.DEPLOYMENT, ("status", "conditions"), "type", "merge", "map",
                     ("type",), id="deployment-conditions"),
        pytest.param(apps.DEPLOYMENT, ("spec", "template", "spec", "containers"), "name",
                     "merge", "map", ("name",), id="template-containers"),
        pytest.param(apps.STATEFUL_SET, ("spec", "volumeClaimTemplates"), None, None, "atomic",
                     (), id="volume-claim-templates"),
        pytest.param(batch.JOB, ("status", "uncountedTerminatedPods", "failed"), None, None,
                     "set", (), id="uncounted-terminated-pods"),
        pytest.param(batch.JOB, ("status", "conditions"), "type", "merge", "atomic", ("type",),
                     id="job-conditions"),
    ],
)
def test_list_merge_metadata_matches_kubernetes(schema, path, merge_key, strategy, list_type,
                                                map_keys):
    """List fields carry Kubernetes' patchMergeKey, patchStrategy and list type."""
    node = walk(schema, path)
    assert node is not None and node.type == "array"
    assert (node.patch_merge_key, node.patch_strategy) == (merge_key, strategy)
    assert (node.list_type, node.list_map_keys) == (list_type, map_keys)


def test_deployment_strategy_retains_keys():
    """DeploymentSpec.strategy is patched with retainKeys, and keeps its own fields and name."""
    node = walk(apps.DEPLOYMENT, ("spec", "strategy"))
    assert node is not None
    assert node.patch_strategy == "retainKeys"
    assert node.name == "io.k8s.api.apps.v1.DeploymentStrategy"
    assert set(node.fields) == {"type", "rollingUpdate"}


# ---------------------------------------------------------------------------------------------
# Required fields and enums.


@pytest.mark.parametrize(
    ("schema", "path", "required"),
    [
        pytest.param(core.CONTAINER, (), {"name"}, id="container-name-not-image"),
        pytest.param(core.SERVICE, ("spec", "ports"), {"port"}, id="service-port"),
        pytest.param(core.ENV_VAR, (), {"name"}, id="env-var"),
        pytest.param(core.VOLUME, (), {"name"}, id="volume"),
        pytest.param(core.POD, ("spec",), {"containers"}, id="pod-spec"),
        pytest.param(meta.LABEL_SELECTOR, ("matchExpressions",), {"key", "operator"},
                     id="label-selector-requirement"),
        pytest.param(meta.OWNER_REFERENCE, (), {"apiVersion", "kind", "name", "uid"},
                     id="owner-reference"),
        pytest.param(apps.DEPLOYMENT, ("spec",), {"selector", "template"}, id="deployment-spec"),
        pytest.param(apps.STATEFUL_SET, ("spec",), {"selector", "template"},
                     id="statefulset-spec"),
        pytest.param(batch.CRON_JOB, ("spec",), {"schedule", "jobTemplate"}, id="cronjob-spec"),
        pytest.param(batch.JOB, ("spec",), {"template"}, id="job-spec"),
        pytest.param(core.EVENT, (), {"metadata", "involvedObject"}, id="event"),
        pytest.param(core.BINDING, (), {"target"}, id="binding"),
        pytest.param(core.POD, ("spec", "containers", "ports"), {"containerPort"},
                     id="container-port"),
        pytest.param(core.POD, ("spec", "tolerations"), set(), id="toleration"),
        pytest.param(core.NODE, ("spec", "taints"), {"key", "effect"}, id="taint"),
        pytest.param(core.POD, ("status", "containerStatuses"),
                     {"name", "ready", "restartCount", "image", "imageID"},
                     id="container-status"),
        pytest.param(autoscaling.HORIZONTAL_POD_AUTOSCALER, ("spec",),
                     {"scaleTargetRef", "maxReplicas"}, id="hpa-spec"),
        pytest.param(meta.OBJECT_META, (), set(), id="object-meta"),
    ],
)
def test_required_fields_match_kubernetes(schema, path, required):
    """Fields Kubernetes' OpenAPI marks required, and only those, are required here."""
    node = walk(schema, path)
    while node is not None and node.type == "array":
        node = node.items
    assert node is not None
    assert node.required == required


@pytest.mark.parametrize(
    ("schema", "path", "values"),
    [
        pytest.param(core.POD, ("spec", "restartPolicy"), {"Always", "OnFailure", "Never"},
                     id="restart-policy"),
        pytest.param(core.POD, ("spec", "dnsPolicy"),
                     {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"},
                     id="dns-policy"),
        pytest.param(core.POD, (*POD_CONTAINER, "imagePullPolicy"),
                     {"Always", "Never", "IfNotPresent"}, id="image-pull-policy"),
        pytest.param(core.POD, (*POD_CONTAINER, "ports", "protocol"), {"TCP", "UDP", "SCTP"},
                     id="protocol"),
        pytest.param(core.SERVICE, ("spec", "type"),
                     {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"},
                     id="service-type"),
        pytest.param(core.POD, ("status", "phase"),
                     {"Pending", "Running", "Succeeded", "Failed", "Unknown"}, id="pod-phase"),
        pytest.param(core.POD, ("status", "qosClass"), {"Guaranteed", "Burstable", "BestEffort"},
                     id="qos-class"),
        pytest.param(core.POD, ("spec", "tolerations", "effect"),
                     {"NoSchedule", "PreferNoSchedule", "NoExecute"}, id="taint-effect"),
        pytest.param(apps.DEPLOYMENT, ("spec", "strategy", "type"), {"Recreate", "RollingUpdate"},
                     id="deployment-strategy"),
        pytest.param(batch.CRON_JOB, ("spec", "concurrencyPolicy"), {"Allow", "Forbid", "Replace"},
                     id="concurrency-policy"),
        pytest.param(core.PERSISTENT_VOLUME, ("spec", "persistentVolumeReclaimPolicy"),
                     {"Retain", "Delete", "Recycle"}, id="reclaim-policy"),
    ],
)
def test_enums_match_kubernetes(schema, path, values):
    """Enumerated string fields list exactly Kubernetes' values."""
    node = walk(schema, path)
    assert node is not None and node.enum is not None
    assert set(node.enum) == values


def test_stop_signals_cover_realtime_range():
    """Lifecycle.stopSignal knows the classic signals and SIGRTMIN+n / SIGRTMAX-n."""
    node = walk(core.POD, (*POD_CONTAINER, "lifecycle", "stopSignal"))
    assert node is not None and node.enum is not None
    assert {"SIGTERM", "SIGKILL", "SIGRTMIN+15", "SIGRTMAX-14", "SIGRTMAX"} <= set(node.enum)
    assert len(node.enum) == len(set(node.enum)) == 65


# ---------------------------------------------------------------------------------------------
# Names and descriptions of every node.


def _all_object_nodes() -> Iterator[tuple[str, str, Schema]]:
    for kind_name, schema in ALL_KINDS.items():
        for path, node in object_nodes(schema):
            yield kind_name, path, node


def test_every_object_node_has_an_openapi_name():
    """Every object node carries its OpenAPI definition name, for OpenAPI and kubectl explain."""
    unnamed = [f"{k}{p}" for k, p, n in _all_object_nodes() if not n.name]
    assert unnamed == []
    bad = {n.name for _, _, n in _all_object_nodes()
           if not re.fullmatch(r"io\.k8s\.(api\.[a-z]+|apimachinery\.pkg\.apis\.meta)\.v\d\.\w+",
                               n.name or "")}
    assert bad == set()


def test_one_name_means_one_shape():
    """Nodes sharing a definition name have the same fields and required set."""
    shapes: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for kind_name, path, node in _all_object_nodes():
        assert node.name is not None
        shape = (frozenset(node.fields), node.required)
        assert shapes.setdefault(node.name, shape) == shape, f"{kind_name}{path}"


def test_every_field_has_a_one_sentence_description():
    """Each field and object type has a short description, for kubectl explain."""
    missing = []
    for kind_name, path, node in _all_object_nodes():
        if not node.description:
            missing.append(f"{kind_name}{path}")
        for name, child in node.fields.items():
            text = child.description
            if not text or not text.endswith(".") or len(text) > 100:
                missing.append(f"{kind_name}{path}.{name}: {text!r}")
    assert missing == []


def test_kind_helper_adds_type_and_object_meta():
    """kind() puts apiVersion, kind and ObjectMeta before the kind's own fields."""
    schema = meta.kind("io.k8s.api.example.v1.Widget", {"size": core.CONTAINER},
                       description="A widget.", required=("size",))
    assert list(schema.fields)[:4] == ["apiVersion", "kind", "metadata", "size"]
    assert schema.fields["metadata"].name == "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    assert schema.required == {"size"}
    assert schema.description == "A widget."


# ---------------------------------------------------------------------------------------------
# Field sets against the official Python client's models (generated from Kubernetes' OpenAPI).

# Fields the client knows from releases after the schemas' baseline (1.36); all alpha.
NEWER_THAN_BASELINE: dict[str, set[str]] = {
    "io.k8s.api.core.v1.PodSpec": {"evictionResponders"},
    "io.k8s.api.core.v1.PodStatus": {"volumeHealth"},
    "io.k8s.api.core.v1.NodeSpec": {"podPreemptionPolicy"},
    "io.k8s.api.core.v1.NodeSystemInfo": {"runningInUserNamespace"},
    "io.k8s.api.core.v1.PersistentVolumeClaimStatus": {"healthStatus"},
    "io.k8s.api.batch.v1.JobSpec": {"scheduling"},
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerCondition": {"observedGeneration"},
    "io.k8s.api.core.v1.EmptyDirVolumeSource": {"mode"},
    "io.k8s.api.core.v1.SecretVolumeSource": {"defaultUser"},
    "io.k8s.api.core.v1.ConfigMapVolumeSource": {"defaultUser"},
    "io.k8s.api.core.v1.DownwardAPIVolumeSource": {"defaultUser"},
    "io.k8s.api.core.v1.ProjectedVolumeSource": {"defaultUser"},
    "io.k8s.api.core.v1.VolumeMount": {"bindMountOptions"},
    "io.k8s.api.core.v1.KeyToPath": {"user"},
    "io.k8s.api.core.v1.DownwardAPIVolumeFile": {"user"},
    "io.k8s.api.core.v1.ServiceAccountTokenProjection": {"user"},
    "io.k8s.api.core.v1.ClusterTrustBundleProjection": {"user"},
    "io.k8s.api.core.v1.PodCertificateProjection": {"user"},
    "io.k8s.api.core.v1.HTTPGetAction": {"protocol"},
    "io.k8s.api.core.v1.GRPCAction": {"mode"},
}
BASELINE_MINOR = 36
NEWEST_KNOWN_CLIENT = 37


def _named_nodes() -> dict[str, Schema]:
    return {n.name: n for _, _, n in _all_object_nodes() if n.name}


def _client_model(definition: str) -> Any:
    client = pytest.importorskip("kubernetes.client")
    *_, group, version, name = definition.split(".")
    version = version.capitalize()
    candidates = [f"{version}{name}"]
    if group == "core":
        candidates.insert(0, f"Core{version}{name}")
    for candidate in candidates:
        model = getattr(client, candidate, None)
        if model is not None:
            return model
    return None


def _client_minor() -> int:
    kubernetes = pytest.importorskip("kubernetes")
    return int(kubernetes.__version__.split(".")[0])


def _type_fits(client_type: str, node: Schema) -> bool:
    """Whether the client's Python type name agrees with our node."""
    if client_type.startswith("List["):
        return node.type == "array" and node.items is not None and _type_fits(
            client_type[5:-1], node.items)
    if client_type.startswith("Dict[str, "):
        return node.type == "map" and node.items is not None and _type_fits(
            client_type[10:-1], node.items)
    if client_type == "str":  # the client keeps quantities as strings
        return node.type in ("string", "quantity") and node.format not in ("date-time", "byte")
    if client_type == "bytes":
        return node.type == "string" and node.format == "byte"
    if client_type == "datetime":
        return node.type == "string" and node.format == "date-time"
    if client_type == "object":
        return node.type in ("any", "int-or-string", "quantity")
    simple = {"int": "integer", "bool": "boolean", "float": "number"}
    if client_type in simple:
        return node.type == simple[client_type]
    return node.type in ("object", "any")  # a model class: checked on its own


def test_field_sets_match_the_kubernetes_client_models():
    """Each named node has exactly the fields, with the same types, of the client's model."""
    minor = _client_minor()
    if not BASELINE_MINOR <= minor <= NEWEST_KNOWN_CLIENT:
        pytest.skip(f"client release 1.{minor} is not between the baseline and 1.37")
    mismatches = []
    for definition, node in sorted(_named_nodes().items()):
        model = _client_model(definition)
        assert model is not None, f"no client model for {definition}"
        theirs = {wire: model.openapi_types[attr] for attr, wire in model.attribute_map.items()}
        invented = set(node.fields) - set(theirs)
        missing = set(theirs) - set(node.fields) - NEWER_THAN_BASELINE.get(definition, set())
        wrong = {f for f in set(node.fields) & set(theirs)
                 if not _type_fits(theirs[f], node.fields[f])}
        if invented or missing or wrong:
            mismatches.append((definition, sorted(invented), sorted(missing), sorted(wrong)))
    assert mismatches == []

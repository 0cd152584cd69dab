"""The words of ``--help``, in one voice: each command's one-line summary (short enough for the
command list), its arguments' names, and examples in kubectl's style.

:func:`document` applies them to the command tree once, at import of ``cli/main.py``; a
command added without an entry here fails ``tests/cli/test_help.py``.
"""

from __future__ import annotations

import click

# name -> (summary, {argument: metavar}, examples)
HELP: dict[str, tuple[str, dict[str, str], str]] = {
    "up": ("Start the cluster (in the foreground unless --detach).", {}, """
        # start in the background; prints the kubeconfig to use
        minikube-py up --detach
        # three virtual nodes, another port, state in ./cluster
        minikube-py up --detach --nodes 3 --port 7443 --data-dir ./cluster
        # keep an hour of watch history
        minikube-py up --history 1h
        # on an etcd cluster; a second daemon on it serves the API only
        minikube-py up --storage etcd://10.0.0.5:2379,10.0.0.6:2379
        minikube-py up --data-dir ~/.mkp-2 --port 6444 --role apiserver \
            --storage etcd://10.0.0.5:2379"""),
    "down": ("Stop the cluster's daemon; its state stays.", {}, """
        minikube-py down
        minikube-py down --data-dir ./cluster"""),
    "status": ("Show whether the cluster runs, where, and its store.", {}, """
        minikube-py status
        minikube-py status --kubeconfig ./cluster/kubeconfig"""),
    "snapshot": ("Save or restore the whole store (like etcdctl).", {}, ""),
    "snapshot save": ("Write a consistent copy of the store to FILE.", {}, """
        minikube-py snapshot save backup.db"""),
    "snapshot restore": ("Replace a stopped cluster's store with FILE.", {}, """
        minikube-py down && minikube-py snapshot restore backup.db && minikube-py up --detach
        # move a cluster from SQLite to etcd
        minikube-py snapshot save move.db && minikube-py down
        minikube-py snapshot restore move.db --storage etcd://127.0.0.1:2379"""),
    "controller-manager": ("Run the controller manager in its own process.", {}, """
        minikube-py up --detach --without controller-manager
        minikube-py controller-manager --kubeconfig ~/.minikube-py/kubeconfig --leader-elect"""),
    "scheduler": ("Run the scheduler in its own process.", {}, """
        minikube-py up --detach --without scheduler
        minikube-py scheduler --kubeconfig ~/.minikube-py/kubeconfig --leader-elect"""),
    "get": ("Display one or many objects.", {"args": "KIND[,KIND...] [NAME]..."}, """
        minikube-py get pods
        minikube-py get deploy,svc -n web -o wide
        minikube-py get pods -A -l app=web --watch
        minikube-py get deployment web -o jsonpath='{.status.readyReplicas}'"""),
    "apply": ("Create or update objects from manifests.", {}, """
        minikube-py apply -f manifests/demo.yaml
        minikube-py apply -R -f ./k8s/
        minikube-py apply -f app.yaml --wait --timeout 120
        cat app.yaml | minikube-py apply -f -"""),
    "delete": ("Delete objects by file, by name or by selector.",
               {"args": "[KIND[,KIND...] [NAME]...]"}, """
        minikube-py delete -f manifests/demo.yaml
        minikube-py delete deployment web
        minikube-py delete pods -l app=web --grace-period 0"""),
    "describe": ("Show details of objects, with their events.", {"names": "[NAME]..."}, """
        minikube-py describe deployment web
        minikube-py describe pods -l app=web"""),
    "scale": ("Set the replicas of a workload.", {}, """
        minikube-py scale deployment web --replicas 3
        minikube-py scale deployment/web --replicas 0 --current-replicas 3"""),
    "label": ("Set or remove labels of an object.",
              {"args": "NAME KEY=VALUE... | KEY-..."}, """
        minikube-py label pod web-1 tier=frontend
        minikube-py label deployment/web tier=backend --overwrite
        minikube-py label pod web-1 tier-"""),
    "annotate": ("Set or remove annotations of an object.",
                 {"args": "NAME KEY=VALUE... | KEY-..."}, """
        minikube-py annotate deployment web owner=alice
        minikube-py annotate deployment web owner-"""),
    "edit": ("Edit an object in $EDITOR and replace it.", {}, """
        minikube-py edit deployment web
        EDITOR=nano minikube-py edit configmap settings"""),
    "api-resources": ("List the kinds the cluster serves.", {}, """
        minikube-py api-resources
        minikube-py api-resources --namespaced=false"""),
    "explain": ("Show the documentation of a kind or field.", {"target": "KIND[.FIELD...]"}, """
        minikube-py explain deployment
        minikube-py explain deployment.spec.strategy"""),
    "logs": ("Print the logs of a container of a pod.", {}, """
        minikube-py logs web-7987989696-5js9z
        minikube-py logs web-7987989696-5js9z -c sidecar --tail 20 -f"""),
    "exec": ("Run a command in a container of a pod.", {}, """
        minikube-py exec web-7987989696-5js9z -- ls /www
        minikube-py exec web-7987989696-5js9z -c sidecar -- sh -c 'echo hi'"""),
    "port-forward": ("Forward local ports to a pod (or a Service's pod).",
                     {"target": "TYPE/NAME", "ports": "[LOCAL:]REMOTE..."}, """
        # 127.0.0.1:8080 to port 80 of a pod the Service web selects
        minikube-py port-forward svc/web 8080:80
        # a free local port to the pod's port named http
        minikube-py port-forward pod/web-7987989696-5js9z :http
        minikube-py port-forward deploy/web 8080:8080 9090:9090 --address 0.0.0.0"""),
    "top": ("Show CPU and memory use of pods or nodes (kubectl top).", {}, ""),
    "top pod": ("Show CPU and memory use of pods.", {"name": "[NAME]"}, """
        minikube-py top pod
        minikube-py top pod -A
        minikube-py top pod -l app=web --containers"""),
    "top node": ("Show CPU and memory use of nodes.", {"name": "[NAME]"}, """
        minikube-py top node"""),
    "token": ("Manage bootstrap tokens (for minikube-py join).", {}, ""),
    "token create": ("Create a bootstrap token.", {}, """
        minikube-py token create --print-join-command
        minikube-py token create --ttl 1h --description 'ci runner 3'"""),
    "token list": ("List the bootstrap tokens.", {}, """
        minikube-py token list"""),
    "token delete": ("Delete a bootstrap token.", {"token_id": "TOKEN_ID"}, """
        minikube-py token delete abcdef"""),
    "join": ("Join this machine to a cluster as a node.", {"server": "https://HOST:PORT"}, """
        # on the cluster's machine: minikube-py token create --print-join-command
        minikube-py join https://192.168.1.20:6443 --token abcdef.0123456789abcdef \\
            --ca-cert-hash sha256:1234...cdef --node-name laptop-2"""),
    "kubelet": ("Run one node's kubelet in its own process.", {}, """
        minikube-py up --detach --without kubelet
        minikube-py kubelet --kubeconfig ~/.minikube-py/kubeconfig --node-name node-2"""),
    "proxy": ("Run the service proxy in its own process.", {}, """
        minikube-py up --detach --without proxy
        minikube-py proxy --kubeconfig ~/.minikube-py/kubeconfig"""),
    "service": ("Print the URLs where a Service answers.", {}, """
        minikube-py service web --url
        minikube-py service web -n demo --url --wait 30"""),
    "rollout": ("Manage the rollout of a Deployment.", {}, ""),
    "rollout status": ("Show a rollout, until it is done.", {"kind": "KIND[/NAME]"}, """
        minikube-py rollout status deployment/web
        minikube-py rollout status deploy web --timeout 120"""),
    "rollout history": ("List the revisions of a Deployment.", {"kind": "KIND[/NAME]"}, """
        minikube-py rollout history deployment/web
        minikube-py rollout history deployment/web --revision 2"""),
    "rollout undo": ("Roll back to a former revision.", {"kind": "KIND[/NAME]"}, """
        minikube-py rollout undo deployment/web
        minikube-py rollout undo deployment/web --to-revision 1"""),
    "rollout restart": ("Restart the pods of a workload, in a rollout.",
                        {"kind": "KIND[/NAME]"}, """
        minikube-py rollout restart deployment/web"""),
    "rollout pause": ("Pause a rollout (scaling still works).", {"kind": "KIND[/NAME]"}, """
        minikube-py rollout pause deployment/web"""),
    "rollout resume": ("Resume a paused rollout.", {"kind": "KIND[/NAME]"}, """
        minikube-py rollout resume deployment/web"""),
    "wait": ("Wait for a condition on an object.", {"target": "KIND/NAME"}, """
        minikube-py wait pod/web-1 --for condition=Ready --timeout 60
        minikube-py wait deployment/web --for condition=Available
        minikube-py wait pod/web-1 --for jsonpath='{.status.phase}'=Running
        minikube-py wait pod/web-1 --for delete"""),
}

CHOOSING = ("The cluster: --kubeconfig, else --data-dir, else $KUBECONFIG's first file, else "
            "the cluster the last `up` started while it runs, else $MINIKUBE_PY_HOME (or "
            "~/.minikube-py).")


def document(group: click.Group, prefix: str = "") -> None:
    """Give every command of ``group`` its summary, argument names and examples."""
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        entry = HELP.get(full)
        if entry is None:
            continue  # tests/cli/test_help.py names the command that lacks one
        summary, metavars, examples = entry
        command.short_help = summary
        for param in command.params:
            if isinstance(param, click.Argument) and param.name in metavars:
                param.metavar = metavars[param.name]
        if examples.strip():
            lines = [line.strip() for line in examples.strip().splitlines()]
            body = "\n".join(f"  {line}" for line in lines)
            command.epilog = f"\b\nExamples:\n{body}"
        if any(p.name == "kubeconfig_file" for p in command.params):
            command.epilog = f"{command.epilog or ''}\n\n{CHOOSING}".strip()
        if isinstance(command, click.Group):
            document(command, f"{full} ")

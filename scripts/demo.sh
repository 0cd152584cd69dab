#!/usr/bin/env bash
# The demo: start a detached cluster, apply manifests/, show what the cluster holds,
# including through the real kubectl when it is installed.
set -euo pipefail
PY=${PY:-.venv/bin/python}
MK="$PY -m minikube_py.cli.main"
export MINIKUBE_PY_HOME=${MINIKUBE_PY_HOME:-$PWD/.data/demo}

$MK up --detach
$MK apply -f manifests/
echo
$MK get namespaces
echo
$MK get deployments,services,configmaps -n demo
echo
if command -v kubectl >/dev/null 2>&1; then
  echo "# the real kubectl, same cluster:"
  kubectl --kubeconfig "$MINIKUBE_PY_HOME/kubeconfig" get deployments -n demo -o wide || true
fi
echo
echo "The cluster keeps running. Try:"
echo "  export KUBECONFIG=$MINIKUBE_PY_HOME/kubeconfig; kubectl get all -n demo"
echo "Stop it with: make demo-down"

#!/usr/bin/env bash
# The demo: start a detached cluster, deploy manifests/ (3 web replicas and a Service), wait
# for the rollout, then show different pods answering through the Service's host URL.
set -euo pipefail
PY=${PY:-.venv/bin/python}
MK="$PY -m minikube_py.cli.main"
export MINIKUBE_PY_HOME=${MINIKUBE_PY_HOME:-$PWD/.data/demo}
KC="$MINIKUBE_PY_HOME/kubeconfig"
ROLLOUT_TIMEOUT=${ROLLOUT_TIMEOUT:-120}

# The API port: $PORT if given; else 6443, or a free one when 6443 is taken (a running demo
# cluster keeps its own port).
if [ -z "${PORT:-}" ]; then
  if $MK status >/dev/null 2>&1; then
    PORT=0
  elif "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 6443))' 2>/dev/null; then
    PORT=6443
  else
    echo "# port 6443 is taken: the cluster gets a free port (set PORT= to choose one)"
    PORT=0
  fi
fi
# shellcheck disable=SC2086  # UP_ARGS: more `up` options, word-split on purpose
$MK up --detach --port "$PORT" ${UP_ARGS:-}
$MK apply -f manifests/
echo
echo "# waiting for the rollout of deployment/web (3 replicas, up to ${ROLLOUT_TIMEOUT}s)"
if ! $MK rollout status deployment/web -n demo --timeout "$ROLLOUT_TIMEOUT"; then
  echo "the pods did not become ready in ${ROLLOUT_TIMEOUT}s:"
  $MK get pods -n demo -o wide || true
  echo "(pods run with a kubelet and Docker; see the daemon log in $MINIKUBE_PY_HOME)"
  exit 1
fi
$MK get deployments,pods,services,endpoints -n demo
echo
URL=$($MK service web -n demo --url)
echo "# six requests through the Service, $URL:"
for _ in 1 2 3 4 5 6; do
  "$PY" -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().strip())' "$URL"
done
echo
echo "The cluster keeps running. Try:"
echo "  open $URL                                   # the Service, from this machine"
echo "  export KUBECONFIG=$KC"
echo "  kubectl scale deployment web -n demo --replicas=1   # then request it again"
echo "  $MK delete -f manifests/                    # remove the demo app"
echo "Stop the cluster with: make demo-down"

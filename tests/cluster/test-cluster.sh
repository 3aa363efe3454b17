#!/usr/bin/env bash
# Acceptance tests of the kq test cluster (tests/cluster/kq-cluster).
#
# Usage: test-cluster.sh [--state DIR] [--keep]
#
# Brings a cluster up in DIR (default: a fresh directory under /tmp) unless
# one already runs there, runs the checks against it with the cluster's own
# kubectl, then takes it down and checks that no process is left (--keep:
# leave it running and skip that check). Prints `N passed, M failed` last and
# exits non-zero if anything failed.

# The t_* functions are only called through `check`.
# shellcheck disable=SC2317
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KQC=$HERE/kq-cluster
STATE=""
KEEP=0
while (($#)); do
	case $1 in
	--state)
		STATE=${2:?--state needs a directory}
		shift
		;;
	--state=*) STATE=${1#--state=} ;;
	--keep) KEEP=1 ;;
	-h | --help)
		sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "unknown argument: $1" >&2
		exit 2
		;;
	esac
	shift
done
[[ -n $STATE ]] || STATE=${TMPDIR:-/tmp}/kq-cluster-test.$$

PASSED=0
FAILED=0
FAILURES=()
NS=kq-e2e
RUN=$(printf '%04x' $((RANDOM % 65536)))

note() { printf '    %s\n' "$*"; }
# check NAME FUNCTION: run one test; it fails by returning non-zero.
check() {
	local name=$1 start=$SECONDS
	shift
	printf -- '--- %s\n' "$name"
	if "$@"; then
		PASSED=$((PASSED + 1))
		printf 'PASS %s (%ss)\n' "$name" $((SECONDS - start))
	else
		FAILED=$((FAILED + 1))
		FAILURES+=("$name")
		printf 'FAIL %s (%ss)\n' "$name" $((SECONDS - start))
	fi
}
finish() {
	((FAILED == 0)) || printf 'failed: %s\n' "${FAILURES[*]}"
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	((FAILED == 0))
	exit
}

k() { "$KQ_KUBECTL" "$@"; }
ka() { k --context=admin -n "$NS" "$@"; }

# job NAME ANNOTATIONS_JSON [CONTAINERS_JSON]: create a Job in kq-e2e.
job() {
	local name=$1 annotations=$2
	local containers=${3:-'[{"name": "main", "image": "busybox"}]'}
	ka apply -f - >/dev/null <<EOF
{"apiVersion": "batch/v1", "kind": "Job",
 "metadata": {"name": "$name"},
 "spec": {"backoffLimit": 0, "template": {
   "metadata": {"annotations": $annotations},
   "spec": {"restartPolicy": "Never", "containers": $containers}}}}
EOF
}

# wait_pod_phase JOB PHASE [TIMEOUT]: the Job's first pod reaches PHASE.
wait_pod_phase() {
	local deadline=$((SECONDS + ${3:-30})) phase
	while ((SECONDS < deadline)); do
		phase=$(ka get pods -l "job-name=$1" -o 'jsonpath={.items[0].status.phase}' 2>/dev/null)
		[[ $phase == "$2" ]] && return 0
		sleep 0.2
	done
	note "pod of job $1 is '${phase:-missing}', not $2"
	return 1
}

# ---------------------------------------------------------------- tests --

t_versions() {
	local v
	v=$(k version -o json | grep -o '"gitVersion": *"[^"]*"' | sort -u)
	note "$v"
	[[ $(grep -c 'v1.35.4' <<<"$v") -ge 1 && $(wc -l <<<"$v") -eq 1 ]]
}

t_node_ready() {
	[[ $(k get node kq-node -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]
}

t_job_complete() {
	local name=ok-$RUN
	job "$name" '{}' || return 1
	ka wait --for=condition=Complete "job/$name" --timeout=60s >/dev/null || return 1
	[[ $(ka get pods -l "job-name=$name" -o 'jsonpath={.items[0].status.phase}') == Succeeded ]]
}

t_job_failed_exit_code() {
	local name=fail-$RUN code
	job "$name" '{"kq.test/exit-code": "3"}' || return 1
	ka wait --for=condition=Failed "job/$name" --timeout=60s >/dev/null || return 1
	code=$(ka get pods -l "job-name=$name" -o 'jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode}')
	note "exit code: $code, pod phase: $(ka get pods -l "job-name=$name" -o 'jsonpath={.items[0].status.phase}')"
	[[ $code == 3 ]]
}

t_run_seconds() {
	local name=slow-$RUN start=$SECONDS
	job "$name" '{"kq.test/run-seconds": "4"}' || return 1
	wait_pod_phase "$name" Running || return 1
	ka wait --for=condition=Complete "job/$name" --timeout=60s >/dev/null || return 1
	note "Complete after $((SECONDS - start))s"
	((SECONDS - start >= 4))
}

t_logs_follow() {
	local name=logs-$RUN out start elapsed
	job "$name" '{"kq.test/log": "one\ntwo\nthree", "kq.test/log-interval": "1s", "kq.test/run-seconds": "4"}' || return 1
	wait_pod_phase "$name" Running || return 1
	start=$(date +%s%N)
	# The stream must end on its own once the container terminates.
	out=$(timeout 30 "$KQ_KUBECTL" --context=admin -n "$NS" logs -f "job/$name") || {
		note "kubectl logs -f failed or hung (rc=$?)"
		return 1
	}
	elapsed=$((($(date +%s%N) - start) / 1000000))
	note "streamed in ${elapsed}ms: $(tr '\n' '|' <<<"$out")"
	[[ $out == $'one\ntwo\nthree' ]] && ((elapsed >= 2000)) || return 1
	# Logs stay readable after the pod finished, with kubelet-style timestamps.
	out=$(ka logs "job/$name" --timestamps --tail=2) || return 1
	note "$(tr '\n' '|' <<<"$out")"
	[[ $out =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ two$'\n'[0-9T:.Z-]+\ three$ ]]
}

t_logs_per_container() {
	local name=multi-$RUN pod out
	job "$name" '{"kq.test/log": "from main", "kq.test/log.side": "from side"}' \
		'[{"name": "main", "image": "busybox"}, {"name": "side", "image": "busybox"}]' || return 1
	ka wait --for=condition=Complete "job/$name" --timeout=60s >/dev/null || return 1
	pod=$(ka get pods -l "job-name=$name" -o 'jsonpath={.items[0].metadata.name}')
	out="$(ka logs "$pod" -c main)/$(ka logs "$pod" -c side)"
	note "$out"
	[[ $out == "from main/from side" ]]
}

t_delete_background() {
	local name=del-$RUN deadline left
	job "$name" '{"kq.test/run-seconds": "300"}' || return 1
	wait_pod_phase "$name" Running || return 1
	ka delete job "$name" --cascade=background --wait=false >/dev/null || return 1
	deadline=$((SECONDS + 60))
	while ((SECONDS < deadline)); do
		left=$(ka get pods -l "job-name=$name" -o name)
		[[ -z $left ]] && return 0
		sleep 0.5
	done
	note "pods left: $left"
	return 1
}

t_limited_context() {
	local out ok=0 name=lim-$RUN
	if out=$(k --context=limited -n default get pods 2>&1); then
		note "limited may list pods in default"
		ok=1
	fi
	grep -q Forbidden <<<"$out" || ok=1
	if out=$(k --context=limited get nodes 2>&1) || ! grep -q Forbidden <<<"$out"; then
		note "limited may list nodes: $out"
		ok=1
	fi
	# The Role (examples/rbac/kq-ci.yaml) grants configmaps for payloads, but no ServiceAccounts.
	if k --context=limited -n "$NS" create serviceaccount "$name" >/dev/null 2>&1; then
		note "limited may create serviceaccounts in $NS"
		ok=1
	fi
	k --context=limited -n "$NS" get jobs,pods,events >/dev/null || ok=1
	k --context=limited -n "$NS" create job "$name" --image=busybox >/dev/null || ok=1
	k --context=limited -n "$NS" wait --for=condition=Complete "job/$name" --timeout=60s >/dev/null || ok=1
	k --context=limited -n "$NS" logs "job/$name" >/dev/null || ok=1
	k --context=limited -n "$NS" delete job "$name" >/dev/null || ok=1
	return "$ok"
}

t_broken_ca() {
	local out
	if out=$(k --context=broken-ca get namespaces 2>&1); then
		note "broken-ca connected"
		return 1
	fi
	note "$out"
	grep -q 'certificate signed by unknown authority' <<<"$out"
}

t_loopback_only() {
	local pidfile pid lines bad=0 count=0
	for pidfile in "$STATE"/pids/*.pid; do
		pid=$(head -n1 "$pidfile")
		lines=$(ss -Hltunp | grep "pid=$pid,")
		[[ -n $lines ]] || continue
		while read -r _ _ _ _ local _; do
			count=$((count + 1))
			[[ $local == 127.0.0.1:* ]] || {
				note "$(basename "$pidfile" .pid) listens on $local"
				bad=1
			}
		done <<<"$lines"
	done
	note "$count listening sockets, all on 127.0.0.1"
	((count >= 6 && bad == 0))
}

t_up_again_is_fast() {
	local start=$SECONDS
	"$KQC" up --state "$STATE" >/dev/null 2>&1 || return 1
	((SECONDS - start <= 5))
}

t_restart_apiserver() {
	local pid
	"$KQC" restart apiserver --kill --state "$STATE" -- --max-requests-inflight=7 || return 1
	pid=$(head -n1 "$STATE/pids/apiserver.pid")
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- '--max-requests-inflight=7' || {
		note "extra flag missing"
		return 1
	}
	k get --raw /readyz >/dev/null || return 1
	"$KQC" restart apiserver --state "$STATE" || return 1
	job "after-restart-$RUN" '{}' || return 1
	ka wait --for=condition=Complete "job/after-restart-$RUN" --timeout=60s >/dev/null
}

t_logsim_unit() {
	local go
	go=$(command -v go || echo /usr/local/go/bin/go)
	(cd "$HERE/kq-logsim" && CGO_ENABLED=0 "$go" test -count=1 .)
}

t_down() {
	local pids=() pidfile pid left=""
	for pidfile in "$STATE"/pids/*.pid; do pids+=("$(head -n1 "$pidfile")"); done
	"$KQC" down --state "$STATE" || return 1
	sleep 0.5
	for pid in "${pids[@]}"; do
		# A zombie waiting for its parent to reap it counts as gone, unless
		# threads of it still run.
		if [[ -e /proc/$pid ]] && { [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] ||
			(($(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) > 1)); }; then
			left+=" $pid"
		fi
	done
	[[ -z $left ]] || note "still running:$left"
	[[ -z $left && ! -e $STATE ]]
}

# ----------------------------------------------------------------- main --

trap 'finish' INT TERM
start=$SECONDS
if ! env_lines=$("$KQC" up --state "$STATE"); then
	FAILED=$((FAILED + 1))
	FAILURES+=(up)
	echo "FAIL up"
	finish
fi
eval "$env_lines"
echo "cluster up in $((SECONDS - start))s (state $STATE)"
PASSED=$((PASSED + 1))

check "kq-logsim unit tests" t_logsim_unit
check "server and client are v1.35.4" t_versions
check "node kq-node is Ready" t_node_ready
check "a Job whose pod succeeds ends Complete" t_job_complete
check "backoffLimit 0 + exit code 3 ends Failed with exit code 3" t_job_failed_exit_code
check "kq.test/run-seconds keeps the pod running" t_run_seconds
check "kubectl logs -f streams the configured lines and ends" t_logs_follow
check "per-container log lines" t_logs_per_container
check "deleting a Job (background) removes its pods" t_delete_background
check "limited context: allowed in kq-e2e only" t_limited_context
check "broken-ca context fails TLS verification" t_broken_ca
check "every listener is on 127.0.0.1" t_loopback_only
check "a second up returns at once" t_up_again_is_fast
check "restart apiserver with extra flags" t_restart_apiserver
if ((KEEP)); then
	echo "cluster left running: eval \"\$($KQC env --state $STATE)\""
else
	check "down leaves no process behind" t_down
fi
finish

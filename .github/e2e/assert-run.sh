#!/usr/bin/env bash
# The e2e jobs' assertions on one run of the action (.github/workflows/e2e.yml), kept here so that a repository
# test (test/unit/kube/e2e-assert.test.ts) can run them against a report that lacks each value and see them fail.
#
# Usage: assert-run.sh SCENARIO REPORT_JSON
# Environment: the action's outputs VERDICT, JUNIT, LOST (lost-writes), NODE_ID_KEPT (node-id-kept); for
# master-failover also FAILOVER_MS and REJOIN_MS. (With one scenario run, the unprefixed outputs are that
# scenario's; the `<scenario>-<output>` ones are set only for a list.) EXPECT_REACH: the reach report.json must record (routed on kind: a silent fall back to
# port-forward fails the job).
#
# Every assertion is a command of its own (never `a && b`: under `bash -e` a failure before the last `&&` does
# not stop the script), and every value is checked to be present before it is compared.
set -euo pipefail

scenario=${1:?usage: assert-run.sh SCENARIO REPORT_JSON}
report=${2:?usage: assert-run.sh SCENARIO REPORT_JSON}

fail() {
  echo "e2e assertion failed: $*" >&2
  exit 1
}
# is NAME VALUE EXPECTED: VALUE is set and equal to EXPECTED.
is() {
  [[ -n "${2-}" ]] || fail "$1 is empty (expected \"$3\")"
  [[ "$2" == "$3" ]] || fail "$1 is \"$2\", expected \"$3\""
}
# count NAME VALUE: VALUE is a whole number.
count() {
  [[ "${2-}" =~ ^[0-9]+$ ]] || fail "$1 is \"${2-}\", expected a whole number"
}
# json FILTER WHAT: jq -e FILTER on the report is true.
json() {
  jq -e "$1" "$report" >/dev/null || fail "report.json: $2 ($1)"
}

case "$scenario" in
  master-failover) checks=(replica-promoted pod-recreated node-id-kept rejoined-as-replica cluster-healthy data-intact) ;;
  replica-loss) checks=(pod-recreated node-id-kept rejoined-as-replica replica-resynced cluster-healthy writes-never-refused data-intact) ;;
  rolling-restart) checks=(pods-replaced node-id-kept slot-coverage-kept cluster-healthy failovers-safe data-intact) ;;
  master-pause) checks=(replica-promoted stepped-down node-id-kept writer-kept-writing cluster-healthy data-intact) ;;
  cluster-restart) checks=(all-pods-recreated node-ids-kept cluster-reformed data-intact) ;;
  node-loss) checks=(shards-failed-over pods-not-replaced node-ids-kept rejoined-as-replica cluster-healthy data-intact) ;;
  rollout) checks=(apply-accepted pods-on-head-revision node-id-kept cluster-healthy slot-coverage-kept failovers-safe data-intact) ;;
  master-partition) checks=(replica-promoted minority-stopped-writes rejoined-as-replica cluster-healthy data-intact) ;;
  *) fail "unknown scenario \"$scenario\"" ;;
esac

echo "scenario=$scenario verdict=${VERDICT-} lost=${LOST-} node-id-kept=${NODE_ID_KEPT-} failover=${FAILOVER_MS-}ms rejoin=${REJOIN_MS-}ms"

# The action's outputs.
is verdict "${VERDICT-}" pass
# A partition restarts no pod: its NodeID is judged inside rejoined-as-replica, and node-id-kept says skipped.
if [[ "$scenario" == master-partition ]]; then
  is node-id-kept "${NODE_ID_KEPT-}" skipped
else
  is node-id-kept "${NODE_ID_KEPT-}" true
fi
count lost-writes "${LOST-}"
# master-partition runs with write-wait in e2e.yml: WAIT 1 cannot be satisfied on the minority side, so none is lost.
if [[ "$scenario" == master-partition ]]; then
  is lost-writes "$LOST" 0
fi
if [[ "$scenario" == master-failover ]]; then
  is lost-writes "$LOST" 0
  count failover-ms "${FAILOVER_MS-}"
  count rejoin-ms "${REJOIN_MS-}"
fi
[[ -s "$report" ]] || fail "report-path \"$report\" is empty or missing"
[[ -s "${JUNIT-}" ]] || fail "junit-path \"${JUNIT-}\" is empty or missing"

# report.json itself: one jq program lists every problem, one a line; any line fails the job.
expect_reach=${EXPECT_REACH:?EXPECT_REACH (routed or port-forward) must be set}
jq -c '{verdict, reach, error, checks: [.scenarios[]?.checks[]? | {id, status}]}' "$report" || fail "report.json is not JSON"
problems=$(
  jq -r --arg s "$scenario" --arg reach "$expect_reach" --arg want "${checks[*]}" '
    (if .verdict != "pass" then "verdict is \(.verdict | tojson), expected \"pass\"" else empty end),
    (if .reach != $reach then "reach is \(.reach | tojson), expected \"\($reach)\"" else empty end),
    (if has("error") then "the run recorded an error: \(.error)" else empty end),
    (if ([.scenarios[]? | .name] != [$s]) then "scenarios ran: \([.scenarios[]? | .name] | tojson), expected [\"\($s)\"]" else empty end),
    (.scenarios[]? | select(.status != "pass") | "scenario \(.name) is \(.status | tojson), expected \"pass\""),
    (.scenarios[]? | select(.error != null) | "scenario \(.name) recorded an error: \(.error)"),
    (if ([.scenarios[]?.checks[]?] | length) == 0 then "no checks" else empty end),
    (.scenarios[]?.checks[]? | select(.status != "pass") | "check \(.id) is \(.status | tojson)"),
    ([.scenarios[]?.checks[]? | select(.status == "pass") | .id] as $passed
      | $want | split(" ")[] | select(. as $id | $passed | index($id) | not) | "check \(.) missing or not passed")
  ' "$report"
) || fail "report.json could not be read"
[[ -z "$problems" ]] || fail "report.json: ${problems//$'\n'/; }"
echo "e2e assertions passed: $scenario (${#checks[@]} checks, reach $expect_reach)"

#!/usr/bin/env bash
# The suite under load: N busy loops (default 8, niced so that they take what the suite leaves)
# run beside the whole suite (`npm run test:all`: both tiers); prints the wall time and the
# result. The hogs are always killed, by their own process ids, however the run ends.
# Usage: scripts/test-under-load.sh [N] [vitest args…]
set -uo pipefail
cd "$(dirname "$0")/.."
hogs_wanted="${1:-8}"
[ $# -gt 0 ] && shift
hogs=()
suite=
stop() {
  # The suite, if it is still running (its own process group: npm, vitest and their children).
  if [ -n "$suite" ]; then kill -TERM -- "-$suite" 2>/dev/null; wait "$suite" 2>/dev/null; suite=; fi
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null; done
  hogs=()
}
trap stop EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$hogs_wanted"); do
  nice -n 19 node -e 'for (;;) {}' &
  hogs+=("$!")
done
echo "== test-under-load: $hogs_wanted busy loops (nice 19) beside npm run test:all; load: $(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date +%s)
# In the background, in a session of its own, so that a signal reaches this script at once
# and the whole suite can be stopped by its process group.
setsid npm run test:all -- "$@" &
suite=$!
wait "$suite"
status=$?
suite=
took=$(( $(date +%s) - started ))
echo "== test-under-load: npm run test:all $([ "$status" = 0 ] && echo passed || echo "FAILED (exit $status)") in ${took} s beside $hogs_wanted busy loops; load: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"

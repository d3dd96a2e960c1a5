#!/usr/bin/env bash
# Runs the whole suite under a clock moved a year ahead and a year back, each in a far time zone
# (Debian's faketime), to show that no test depends on today's date or the machine's zone.
# Usage: npm run test:any-date [-- vitest args]
set -uo pipefail
command -v faketime >/dev/null || { echo "test:any-date needs faketime: apt-get install faketime" >&2; exit 1; }
status=0
for run in '+365d Pacific/Kiritimati' '-365d America/Adak'; do
  offset=${run% *}
  zone=${run#* }
  echo "== clock ${offset}, TZ=${zone}"
  TZ="$zone" faketime -f "$offset" npx vitest run "$@" || status=1
done
exit $status

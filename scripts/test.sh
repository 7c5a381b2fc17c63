#!/usr/bin/env bash
# npm test: set up what is missing, type-check and lint, run every tier, print one total line.
# `scripts/test.sh TIER...` (npm run test:unit, test:integration, test:e2e, test:cluster, test:security) sets up
# and runs only those tiers, without the static checks.
# Tiers: unit + integration (Vitest, real Postgres), e2e (Playwright on Debian's Chromium),
# cluster (tests/cluster: real agents and node masters), security (tests/security: a hostile
# customer's escape attempts on the cluster harness). A check or a tier that cannot even start
# counts as a failure, so a broken build can never look green.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all_tiers=(unit integration e2e cluster security)
tiers=("$@")
static_checks=0
if [ ${#tiers[@]} -eq 0 ]; then
  tiers=("${all_tiers[@]}")
  static_checks=1
fi
for t in "${tiers[@]}"; do
  [[ " ${all_tiers[*]} " == *" $t "* ]] || die "unknown test tier '$t' (one of: ${all_tiers[*]})"
done
wants() { [[ " ${tiers[*]} " == *" $1 "* ]]; }

RESULTS="$VAR/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
started=$(date +%s)

# Set-up: each tier's needs, once. The unit tier needs no service, only the generated client.
if wants integration || wants e2e || wants cluster || wants security; then
  setup_common
else
  ensure_node_deps
  generate_client
  # The unit tests of the certificate tool (scripts/cluster/cluster-ca.ts) run openssl.
  ensure_apt openssl
fi
wants e2e && ensure_apt chromium
# The cluster tier's netsplit (tests/cluster/harness.ts partition()): an nftables table on loopback.
{ wants cluster || wants security; } && ensure_apt nftables
# The agent's integration tests and the cluster run real nginx, php-fpm and MariaDB masters.
if wants integration || wants cluster || wants security; then ensure_node_packages; fi
if [ -n "${PG_BASE_URL:-}" ]; then
  export SHOAL_TEST_PG="$PG_BASE_URL"
  export SHOAL_TEST_TEMPLATE="shoal_test_template"
fi
export NODE_ENV=test

if [ "$static_checks" = 1 ]; then
  # Each check is one result in the summary (check-NAME.passed or .failed); its full output is
  # printed here and kept in var/test-results/NAME.txt.
  check() { # check NAME command...
    local name="$1"
    shift
    say "$name ($*)"
    if "$@" 2>&1 | tee "$RESULTS/$name.txt"; then
      touch "$RESULTS/check-$name.passed"
    else
      touch "$RESULTS/check-$name.failed"
      warn "$name failed; the tests still run, and the total counts it as a failure"
    fi
  }
  check typecheck npx tsc --noEmit --pretty
  check lint npx eslint . --max-warnings 0
fi

if wants unit || wants integration; then
  projects=()
  wants unit && projects+=(--project unit)
  wants integration && projects+=(--project integration)
  say "${projects[*]//--project /} tests (Vitest)"
  npx vitest run "${projects[@]}" --reporter=default --reporter=json --outputFile.json="$RESULTS/vitest.json" ||
    echo "vitest exited with $?" >"$RESULTS/vitest.failed"
fi

if wants e2e; then
  say "end-to-end tests (Playwright, Chromium)"
  e2e_ok=1
  psql -w "$PG_BASE_URL/postgres" -qc 'DROP DATABASE IF EXISTS shoal_e2e WITH (FORCE)' >/dev/null
  DATABASE_URL="$(ensure_database shoal_e2e)"
  export DATABASE_URL
  migrate "$DATABASE_URL" || e2e_ok=0
  [ "$e2e_ok" = 1 ] && { npx tsx prisma/seed.ts >"$RESULTS/e2e-seed.txt" 2>&1 || e2e_ok=0; }
  if [ "$e2e_ok" = 1 ]; then
    say "building the panel for e2e"
    NEXT_DIST_DIR=.next-test npx next build >"$RESULTS/next-build.log" 2>&1 || {
      tail -40 "$RESULTS/next-build.log"
      e2e_ok=0
    }
  fi
  if [ "$e2e_ok" = 1 ]; then
    PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/playwright.json" npx playwright test --reporter=list,json ||
      echo "playwright exited with $?" >"$RESULTS/playwright.failed"
  else
    echo "e2e set-up failed (migrate, seed or build); see above" | tee "$RESULTS/playwright.failed"
  fi
fi

if wants cluster && [ -d tests/cluster ] && ls tests/cluster/*.test.ts >/dev/null 2>&1; then
  say "cluster tests"
  npx vitest run --config tests/cluster/vitest.config.ts --reporter=default --reporter=json \
    --outputFile.json="$RESULTS/cluster.json" || echo "cluster exited with $?" >"$RESULTS/cluster.failed"
fi

if wants security; then
  say "security tests (escape attempts on the cluster harness)"
  npx vitest run --config tests/security/vitest.config.ts --reporter=default --reporter=json \
    --outputFile.json="$RESULTS/security.json" || echo "security exited with $?" >"$RESULTS/security.failed"
fi

node scripts/test-summary.mjs "$RESULTS" "$(( $(date +%s) - started ))"

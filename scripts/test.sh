#!/usr/bin/env bash
# `npm test`: set-up, type check, lint, unit tests (Vitest + Dawn), end-to-end tests (Playwright + Chromium),
# then one line "N passed, N failed" totalling every suite. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser || exit 1
mkdir -p artifacts
status=0
npx tsc --noEmit -p . && echo "typecheck: ok" || { echo "typecheck: FAILED"; status=1; }
npx eslint . && echo "lint: ok" || { echo "lint: FAILED"; status=1; }
npx vitest run --reporter=default --reporter=json --outputFile.json=artifacts/vitest.json || status=1
PLAYWRIGHT_JSON_OUTPUT_NAME=artifacts/playwright.json npx playwright test --reporter=list,json || status=1
node scripts/count-tests.mjs artifacts/vitest.json artifacts/playwright.json || status=1
exit $status

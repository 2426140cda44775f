// Sums the JSON reports of Vitest and Playwright into one line "N passed, N failed[, N skipped]".
// A missing or unreadable report counts as one failure, so a suite that did not run cannot look green.
import { readFileSync } from 'node:fs';

let passed = 0, failed = 0, skipped = 0;
const [vitestFile, playwrightFile] = process.argv.slice(2);

function read(file) {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
    console.error(`count-tests: cannot read ${file}: ${e.message}`);
    failed += 1;
    return null;
  }
}

const v = read(vitestFile);
if (v) {
  passed += v.numPassedTests;
  failed += v.numFailedTests + (v.numFailedTestSuites ?? 0);
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
}
const p = read(playwrightFile);
if (p) {
  passed += p.stats.expected + p.stats.flaky;
  failed += p.stats.unexpected + (p.errors?.length ?? 0);
  skipped += p.stats.skipped;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

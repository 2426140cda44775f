/** Number formatting shared by the stats table, the chart tooltips and the header. */

/**
 * A compact text form of a statistic: "NaN", "Infinity", "-Infinity" for non-finite values (as in the JSON
 * output), "0" for zero, integers as they are (counts), everything else with 4 significant digits
 * (Number.prototype.toPrecision(4), e.g. "1.500", "3.741e+26").
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  return v.toPrecision(4);
}

/** Milliseconds with a precision that suits their size, e.g. "0.42 ms", "12.3 ms", "1530 ms". */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

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

/** A duration for people: "0.4 s", "12 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${Math.round(s - 60 * min)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Bytes in binary units with 4 significant digits at most: "512 B", "123.4 MiB", "2 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (i < units.length - 1 && bytes >= 1024 ** (i + 1)) i++;
  return `${Number((bytes / 1024 ** i).toPrecision(4))} ${units[i]}`;
}

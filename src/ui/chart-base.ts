/**
 * The options every line chart of the page shares (Chart.js): no animation, the canvas box's size, points given as
 * sorted {x, y} (parsing off, normalized: what the decimation plugin needs), the tooltip on the nearest x.
 */
export const LINE_CHART_BASE = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  parsing: false,
  normalized: true,
  interaction: { mode: 'nearest', axis: 'x', intersect: false },
} as const;

/**
 * The three per-layer charts (Chart.js 4): Forward (rms of z^[l], a^[l]), Backward (rms of dZ^[l], dW^[l]) and
 * Explore (any tensor, any statistic). x is the layer l = 1..L. Values that cannot be drawn (non-finite, or ≤ 0 on a
 * log axis) are gaps; a value between two gaps is drawn as a dot; a series with nothing drawn says why in its legend
 * label ("— all 0", "— all non-finite"). The layer of the first non-finite value (RunResult.firstNonFinite) is
 * marked with a red dashed line.
 *
 * Deep networks (10,000 layers) draw through Chart.js's decimation plugin (min-max: per pixel column the first,
 * last, lowest and highest point, so spikes survive), which needs {x, y} points, `parsing: false` and a linear x
 * scale. Each canvas's aria-label names its title, value axis and series (the legend, readable without pixels).
 */
import {
  Chart, Decimation, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip,
  type ChartConfiguration, type Plugin, type ScriptableContext,
} from 'chart.js';
import type { TensorName } from '../model/network';
import type { RunResult } from '../model/result';
import { STAT_NAMES, type StatName, type Stats } from '../stats/stats';
import { formatNumber } from './format';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip, Decimation);

/** A statistic the charts plot: a scalar of Stats, or maxAbs = max(|min|, |max|). */
export type ChartStat = StatName | 'maxAbs';
/** The Explore chart's choices of statistic. */
export const EXPLORE_STATS: readonly ChartStat[] = [...STAT_NAMES, 'maxAbs'];

/** Statistics whose log10 every result carries (Stats.log10), exact even where the value itself is ∞. */
type Log10Stat = keyof Stats['log10'];
function hasLog10(stat: ChartStat): stat is Log10Stat {
  return stat === 'rms' || stat === 'l2' || stat === 'maxAbs';
}

/**
 * How a chart asks for its value axis: 'log10' plots Stats.log10 on a linear axis titled "log10 <stat>" (the
 * extended range, whose values may be ∞); 'always' a log axis if some value is > 0; 'auto' a log axis if every
 * finite value is > 0; a linear axis otherwise.
 */
type AxisRequest = 'log10' | 'always' | 'auto';
/** The axis drawn: log10 values as they are; log10 of the values (labelled with the values); the values. */
type AxisKind = 'log10' | 'log' | 'linear';

/** One line: a statistic of a tensor over the layers. */
interface Series {
  tensor: TensorName;
  stat: ChartStat;
  color: string;
  dashed?: boolean;
}

/** A point as Chart.js draws it (parsing: false); `layer` survives the decimation plugin's averaged x. */
interface LayerPoint {
  x: number;
  y: number | null;
  layer: number;
}

/** Where the first non-finite value is, as drawn on a chart. */
interface Marker {
  layer: number | null;
  text: string;
}

const COLORS: Record<TensorName, string> = {
  z: '#7b8fd6', a: '#1f3fb3', dA: '#e08a3c', dZ: '#c2571a', W: '#5aa469', dW: '#a0307a',
};

/** Radius of a dot drawn for a value whose neighbours are gaps (no line reaches it). */
const ISOLATED_RADIUS = 3;
/** Up to this many layers every value gets a small dot. */
const DOTS_UP_TO = 60;

/** Red dashed vertical line at marker.layer, with marker.text beside it. */
function markerPlugin(marker: Marker): Plugin<'line'> {
  return {
    id: 'nonFiniteMarker',
    afterDatasetsDraw(chart) {
      if (marker.layer === null) return;
      const { ctx, chartArea } = chart;
      const x = chart.scales.x.getPixelForValue(marker.layer);
      ctx.save();
      ctx.strokeStyle = '#d0021b';
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.fillStyle = '#d0021b';
      ctx.font = 'bold 12px system-ui, sans-serif';
      const right = x > (chartArea.left + chartArea.right) / 2;
      ctx.textAlign = right ? 'right' : 'left';
      ctx.fillText(marker.text, x + (right ? -5 : 5), chartArea.top + 14);
      ctx.restore();
    },
  };
}

/** A tick label: plain for 0.0001 ≤ |v| < 10^5 (3 significant digits), else like "1.5e-23". */
function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a === 0 || (a >= 1e-4 && a < 1e5)) return String(Number(v.toPrecision(3)));
  const [mantissa, exponent] = v.toExponential(2).split('e');
  return `${Number(mantissa)}e${exponent}`;
}

/** The label of 10^e on a log axis, e.g. "1e+300", "0.01", "3.16e-5"; works beyond float64's range. */
function logTickLabel(e: number): string {
  const whole = Math.floor(e + 1e-9);
  if (whole >= -4 && whole < 5) return tickLabel(10 ** e);
  const mantissa = Number((10 ** Math.max(0, e - whole)).toPrecision(3));
  return `${mantissa}e${whole >= 0 ? '+' : ''}${whole}`;
}

/** The smallest of 1, 2, 5, 10, 20, 50, … that is ≥ x. */
function niceStep(x: number): number {
  for (let p = 1; ; p *= 10) for (const k of [1, 2, 5]) if (k * p >= x) return k * p;
}

/**
 * Tick positions (exponents e, the tick being 10^e) of a log axis whose data spans exponents lo..hi:
 * whole decades (every 1, 2, 5, 10, … of them, about 8 ticks) over more than two decades; 1, 2, 5 × 10^k over
 * one or two; 1..9 × 10^k below that. The first tick is ≤ lo and the last ≥ hi; a single value gets a decade
 * around it.
 */
function logTicks(lo: number, hi: number): number[] {
  if (hi - lo < 1e-9) return logTicks(lo - 0.5, hi + 0.5);
  const decades = hi - lo;
  if (decades > 2) {
    const step = niceStep(decades / 8);
    const ticks: number[] = [];
    for (let e = Math.floor(lo / step) * step; e < hi + step; e += step) ticks.push(e);
    return ticks;
  }
  const mantissas = decades < 0.7 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2, 5];
  const all: number[] = [];
  for (let k = Math.floor(lo) - 1; k <= Math.ceil(hi); k++) for (const m of mantissas) all.push(k + Math.log10(m));
  const first = all.filter((e) => e <= lo + 1e-12).length - 1;
  const last = all.findIndex((e) => e >= hi - 1e-12);
  return all.slice(Math.max(0, first), last + 1);
}

/** The statistic `stat` of `s` (maxAbs from min and max; NaN when every element is NaN). */
function statValue(s: Stats, stat: ChartStat): number {
  if (stat === 'maxAbs') return Number.isNaN(s.min) ? NaN : Math.max(Math.abs(s.min), Math.abs(s.max));
  return s[stat];
}

/** What a series plots per layer: log10 of its statistic (Stats.log10) on a 'log10' axis, else the value itself. */
function plotted(result: RunResult, s: Series, kind: AxisKind): number[] {
  return result.layers.map((r) => (kind === 'log10' && hasLog10(s.stat) ? r[s.tensor].log10[s.stat] : statValue(r[s.tensor], s.stat)));
}

/** The y drawn for a plotted number `v`, or null for a gap. */
function drawnY(v: number, kind: AxisKind): number | null {
  if (!Number.isFinite(v)) return null;
  if (kind === 'log') return v > 0 ? Math.log10(v) : null;
  return v;
}

/**
 * Why a series (its plotted numbers and how many of them are drawn) shows no line, for its legend label:
 * "all 0" (said even when zeros are drawn, on a linear axis), "all non-finite", "all 0 or non-finite", "all ≤ 0"
 * (log axis); null when something is drawn.
 */
function emptyReason(values: readonly number[], kind: AxisKind, drawn: number): string | null {
  // On a 'log10' axis 0 is log10 = −∞ and a non-finite value NaN (or +∞).
  const isZero = (v: number) => (kind === 'log10' ? v === -Infinity : v === 0);
  const isBad = (v: number) => !isZero(v) && !Number.isFinite(v);
  const zeros = values.filter(isZero).length;
  const bad = values.filter(isBad).length;
  if (zeros === values.length) return 'all 0';
  if (drawn > 0) return null;
  if (bad === values.length) return 'all non-finite';
  if (zeros + bad === values.length) return 'all 0 or non-finite';
  return 'all ≤ 0';
}

/** True if point i of the points drawn has a value and no neighbour with one: no line reaches it. */
function isIsolated(points: readonly LayerPoint[], i: number): boolean {
  const has = (j: number) => j >= 0 && j < points.length && points[j].y !== null;
  return has(i) && !has(i - 1) && !has(i + 1);
}

/**
 * One chart of per-layer series. A log axis is drawn as log10 of the values on a linear axis, labelled with
 * the values (Chart.js's own logarithmic ticks are unreadable over hundreds of decades).
 */
class LayerChart {
  private readonly chart: Chart<'line', LayerPoint[]>;
  private readonly marker: Marker = { layer: null, text: '' };
  /** What is drawn, for the tooltips: the series, their plotted numbers per layer, and the axis. */
  private drawn: { series: readonly Series[]; values: number[][]; kind: AxisKind } = { series: [], values: [], kind: 'linear' };

  constructor(private readonly canvas: HTMLCanvasElement, private title: string, private readonly legend = true) {
    const config: ChartConfiguration<'line', LayerPoint[]> = {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false, // {x, y} points as given: required by the decimation plugin
        normalized: true, // x is sorted and unique
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'layer l' }, ticks: { precision: 0 } },
          y: { type: 'linear' },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'min-max' },
          title: { display: true, text: title, align: 'start', font: { size: 14 } },
          legend: { display: legend, position: 'top', align: 'end', labels: { boxWidth: 18, boxHeight: 2 } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length > 0 ? `layer ${(items[0].raw as LayerPoint).layer}` : ''),
              label: (item) => `${item.dataset.label}: ${this.tooltipValue(item.datasetIndex, (item.raw as LayerPoint).layer)}`,
            },
          },
        },
      },
      plugins: [markerPlugin(this.marker)],
    };
    this.chart = new Chart(canvas, config);
  }

  /** Draw `series` of `result` on the value axis `axis` asks for (see AxisRequest). */
  show(result: RunResult, series: readonly Series[], axis: AxisRequest, marker: Marker, title = this.title): void {
    this.title = title;
    const kind = this.axisKind(result, series, axis);
    const values = series.map((s) => plotted(result, s, kind));
    const points = values.map((vs) => vs.map((v, i): LayerPoint => ({ x: i + 1, y: drawnY(v, kind), layer: i + 1 })));
    const reasons = points.map((ps, i) => emptyReason(values[i], kind, ps.filter((p) => p.y !== null).length));
    this.drawn = { series, values, kind };

    const L = result.layers.length;
    const labels = series.map((s, i) => `${s.stat}(${s.tensor}[l])${reasons[i] ? ` — ${reasons[i]}` : ''}`);
    this.chart.data.datasets = series.map((s, i) => ({
      label: labels[i],
      data: points[i],
      borderColor: s.color,
      backgroundColor: s.color,
      borderWidth: 2,
      borderDash: s.dashed ? [6, 4] : [],
      spanGaps: false,
      // The points actually drawn (decimated for deep networks): a dot where no line reaches.
      pointRadius: (ctx: ScriptableContext<'line'>) => (isIsolated(ctx.dataset.data as LayerPoint[], ctx.dataIndex) ? ISOLATED_RADIUS
        : L <= DOTS_UP_TO ? 2 : 0),
    }));

    let lo = Infinity, hi = -Infinity;
    for (const ps of points) for (const p of ps) if (p.y !== null) { lo = Math.min(lo, p.y); hi = Math.max(hi, p.y); }
    const ticks = kind === 'log' && lo <= hi ? logTicks(lo, hi) : null;
    const stats = [...new Set(series.map((s) => s.stat))].join(', ');
    const axisTitle = kind === 'log10' ? `log10 ${stats}` : kind === 'log' ? `${stats} (log scale)` : stats;
    const opts = this.chart.options;
    opts.scales!.x!.min = L === 1 ? 0.5 : 1;
    opts.scales!.x!.max = L === 1 ? 1.5 : L;
    opts.scales!.y = {
      type: 'linear',
      title: { display: true, text: axisTitle },
      min: ticks ? ticks[0] : undefined,
      max: ticks ? ticks[ticks.length - 1] : undefined,
      ticks: { callback: (v) => (kind === 'log' ? logTickLabel(Number(v)) : tickLabel(Number(v))) },
      afterBuildTicks: (scale) => {
        if (ticks) scale.ticks = ticks.map((value) => ({ value }));
      },
    };
    const hidden = kind === 'log' && values.flat().some((v) => Number.isFinite(v) && v <= 0);
    const reasonText = this.legend ? '' : reasons.filter((r) => r !== null).map((r) => ` — ${r}`).join('');
    const shownTitle = `${this.title}${reasonText}${hidden ? ' (values ≤ 0 not drawn on the log axis)' : ''}`;
    opts.plugins!.title!.text = shownTitle;
    this.canvas.setAttribute('aria-label', `${shownTitle}. Value axis: ${axisTitle}. Series: ${labels.join('; ')}.`);
    Object.assign(this.marker, marker);
    this.chart.update();
  }

  /** The axis for `series` of `result` (see AxisRequest). */
  private axisKind(result: RunResult, series: readonly Series[], axis: AxisRequest): AxisKind {
    if (axis === 'log10') return 'log10';
    const finite = series.flatMap((s) => result.layers.map((r) => statValue(r[s.tensor], s.stat))).filter(Number.isFinite);
    const useLog = axis === 'always' ? finite.some((v) => v > 0) : finite.length > 0 && finite.every((v) => v > 0);
    return useLog ? 'log' : 'linear';
  }

  /** The tooltip's text for dataset `i` at `layer`: the value, or on a log10 axis 10^y with y itself. */
  private tooltipValue(i: number, layer: number): string {
    const v = this.drawn.values[i]?.[layer - 1];
    if (v === undefined) return '';
    if (drawnY(v, this.drawn.kind) === null) return `${formatNumber(v)} (not drawn)`;
    return this.drawn.kind === 'log10' ? `${logTickLabel(v)} (log10 ${v.toFixed(3)})` : formatNumber(v);
  }
}

/** The page's three charts. */
export class LayerCharts {
  private readonly forward: LayerChart;
  private readonly backward: LayerChart;
  private readonly explore: LayerChart;
  private result: RunResult | null = null;
  private exploreTensor: TensorName = 'dA';
  private exploreStat: ChartStat = 'rms';

  constructor(canvases: { forward: HTMLCanvasElement; backward: HTMLCanvasElement; explore: HTMLCanvasElement }) {
    this.forward = new LayerChart(canvases.forward, 'Forward: rms of z[l] and a[l]');
    this.backward = new LayerChart(canvases.backward, 'Backward: rms of dZ[l] and dW[l]');
    this.explore = new LayerChart(canvases.explore, 'Explore', false);
  }

  /**
   * Draw every chart for `result`: in the extended range, log10 of rms (its values may be ∞), else rms on log axes.
   */
  show(result: RunResult): void {
    this.result = result;
    const axis: AxisRequest = result.config.range === 'extended' ? 'log10' : 'always';
    this.forward.show(result, [
      { tensor: 'z', stat: 'rms', color: COLORS.z, dashed: true },
      { tensor: 'a', stat: 'rms', color: COLORS.a },
    ], axis, this.marker());
    this.backward.show(result, [
      { tensor: 'dZ', stat: 'rms', color: COLORS.dZ, dashed: true },
      { tensor: 'dW', stat: 'rms', color: COLORS.dW },
    ], axis, this.marker());
    this.showExplore();
  }

  /** Choose the Explore chart's tensor and statistic, and redraw it. */
  setExplore(tensor: TensorName, stat: ChartStat): void {
    this.exploreTensor = tensor;
    this.exploreStat = stat;
    this.showExplore();
  }

  private marker(): Marker {
    const f = this.result?.firstNonFinite;
    return f ? { layer: f.layer, text: `first non-finite: ${f.tensor}[${f.layer}]` } : { layer: null, text: '' };
  }

  /** The Explore chart: log10 for rms, l2 and maxAbs in the extended range, else a log axis where every value is > 0. */
  private showExplore(): void {
    if (!this.result) return;
    const t = this.exploreTensor, stat = this.exploreStat;
    const axis: AxisRequest = this.result.config.range === 'extended' && hasLog10(stat) ? 'log10' : 'auto';
    const title = `Explore: ${stat} of ${t}[l]`;
    this.explore.show(this.result, [{ tensor: t, stat, color: COLORS[t] }], axis, this.marker(), title);
  }
}

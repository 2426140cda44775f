/**
 * The three per-layer charts (Chart.js 4): Forward (rms of z^[l], a^[l]), Backward (rms of dZ^[l], dW^[l]) and
 * Explore (any tensor, any statistic). x is the layer l = 1..L. Values that cannot be drawn (non-finite, or ≤ 0 on a
 * log axis) are gaps; a value between two gaps is drawn as a dot; a series with nothing drawn says why in its legend
 * label ("— all 0", "— all non-finite"). The layer of the first non-finite value (RunResult.firstNonFinite) is
 * marked with a red dashed line.
 *
 * Several runs (the current one and pinned ones, each a ChartRun) are drawn on one chart: each in its own colour, on
 * one y-range that covers them all (set explicitly, so it stays put), with a legend naming each run. A run with a
 * Prediction has its predicted rms drawn as a short-dashed line over a shaded band, wherever the chart plots that tensor's rms.
 * A run with a seed spread (the Seeds action) has the measured 10–90% range of rms over its seeds drawn as a grey band
 * with a dotted grey median line, wherever the chart plots rms.
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
import type { Prediction } from './prediction';
import type { SeedsSummary } from '../stats/seeds';
import { LINE_CHART_BASE } from './chart-base';

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
 * finite value is > 0, a linear axis otherwise; 'linear' a linear axis (the user's choice).
 */
type AxisRequest = 'log10' | 'always' | 'auto' | 'linear';
/** The axis drawn: log10 values as they are; log10 of the values (labelled with the values); the values. */
export type AxisKind = 'log10' | 'log' | 'linear';

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
  /** Red for the first non-finite value (overflow), amber for the first all-zero tensor (underflow). */
  color: string;
}

/** The marker colours: overflow (first non-finite) and underflow (first all-zero). */
const MARKER_COLORS = { nonFinite: '#d0021b', allZero: '#b7791f' } as const;

const COLORS: Record<TensorName, string> = {
  z: '#7b8fd6', a: '#1f3fb3', dA: '#e08a3c', dZ: '#c2571a', W: '#5aa469', dW: '#a0307a',
};

/** Radius of a dot drawn for a value whose neighbours are gaps (no line reaches it). */
const ISOLATED_RADIUS = 3;
/** Up to this many layers every value gets a small dot. */
const DOTS_UP_TO = 60;

/** A dashed vertical line at marker.layer in marker.color, with marker.text beside it. */
function markerPlugin(marker: Marker): Plugin<'line'> {
  return {
    id: 'nonFiniteMarker',
    afterDatasetsDraw(chart) {
      if (marker.layer === null) return;
      const { ctx, chartArea } = chart;
      const x = chart.scales.x.getPixelForValue(marker.layer);
      ctx.save();
      ctx.strokeStyle = marker.color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.fillStyle = marker.color;
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

/** The smallest of …, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, … that is ≥ x (x > 0). */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const k of [1, 2, 5, 10]) if (k * p >= x * (1 - 1e-12)) return k * p;
  return 10 * p;
}

/** The range of a linear axis for data in lo..hi: whole multiples of a nice step, about 8 of them; lo < hi after. */
function linearBounds(lo: number, hi: number): [number, number] {
  if (hi - lo <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) {
    const d = hi === 0 ? 1 : Math.abs(hi) / 10;
    return [lo - d, hi + d];
  }
  const step = niceStep((hi - lo) / 8);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
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

/** A run as a chart draws it. */
export interface ChartRun {
  result: RunResult;
  /** The run's colour, or null to draw each series in its tensor's colour (a single run, no comparison). */
  color: string | null;
  /** The run's name in the legend (what differs from the other runs), or "" for a single run. */
  label: string;
  /** What the theory predicts for this run's network, or null. */
  prediction: Prediction | null;
  /** The same network over several seeds (the Seeds action): its rms quantiles drawn as a grey band and dotted median. */
  seedSpread?: SeedsSummary | null;
}

/** A shaded band between two curves, in axis units (a gap where lo or hi is null). */
interface Band {
  color: string;
  points: { x: number; lo: number | null; hi: number | null }[];
}

/** One drawn line: a statistic of a run, measured or predicted. */
interface Line {
  /** The full name (aria-label, tooltip): "xavier_normal (Glorot) · rms(a[l]) — all 0". */
  label: string;
  /** The legend's text, and whether the legend lists the line. */
  legend: string;
  inLegend: boolean;
  color: string;
  dash: number[];
  width: number;
  /** The plotted numbers per layer (values, or log10 on a 'log10' axis) and the points drawn. */
  values: number[];
  points: LayerPoint[];
  predicted: boolean;
  /** True for the median over seeds (drawn without dots). */
  spread?: boolean;
  /** Why nothing of the line is drawn ("all 0"), or null. */
  reason: string | null;
}

/** What a chart shows, for the tests and the console (window.gradscope.charts). */
export interface ChartInfo {
  axis: AxisKind;
  /** The value axis' range as drawn, in axis units (log10 of the values on a log axis); null when nothing is drawn. */
  yMin: number | null;
  yMax: number | null;
  /** Every line: its full label, colour, whether it is dashed, whether it is a prediction, and how many points it draws. */
  series: { label: string; color: string; dashed: boolean; predicted: boolean; drawn: number }[];
  /** Number of shaded prediction bands. */
  bands: number;
  /** Number of grey bands of the measured 10–90% spread of rms over seeds. */
  seedBands: number;
  /** The marked layer and its text (first non-finite or first all-zero), or null. */
  marker: { layer: number; text: string } | null;
}

/** Dash patterns: a series marked dashed (z, dZ), and a predicted rms. */
const DASHED = [6, 4];
const PREDICTED = [2, 3];
/** Opacity of a prediction's band. */
const BAND_ALPHA = 0.15;
/** Colour of the spread over seeds (band and median line), and the median line's dots. */
const SEED_COLOR = '#808080';
const SEED_DOTS = [1, 3];

/** The points drawn for plotted numbers `values` (layer i + 1 at x = i + 1). */
function toPoints(values: readonly number[], kind: AxisKind): LayerPoint[] {
  return values.map((v, i): LayerPoint => ({ x: i + 1, y: drawnY(v, kind), layer: i + 1 }));
}

/**
 * A predicted number as plotted: log10 of it on a 'log10' axis (the prediction's own log10, valid beyond float64, where
 * it has one), else the number (drawnY takes log10 on a log axis).
 */
function plottedPrediction(v: number, log10: number | undefined, kind: AxisKind): number {
  return kind === 'log10' ? log10 ?? Math.log10(v) : v;
}

/** Shade each band between its lo and hi curves, under the lines, clipped to the plot. */
function bandPlugin(bands: Band[]): Plugin<'line'> {
  return {
    id: 'predictionBands',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      ctx.beginPath();
      ctx.rect(chartArea.left, chartArea.top, chartArea.right - chartArea.left, chartArea.bottom - chartArea.top);
      ctx.clip();
      ctx.globalAlpha = BAND_ALPHA;
      for (const band of bands) {
        ctx.fillStyle = band.color;
        // One polygon per run of consecutive points with both curves: along hi, back along lo.
        let run: Band['points'] = [];
        const flush = () => {
          if (run.length > 0) {
            ctx.beginPath();
            run.forEach((p, i) => (i === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, scales.x.getPixelForValue(p.x), scales.y.getPixelForValue(p.hi!)));
            for (let i = run.length - 1; i >= 0; i--) ctx.lineTo(scales.x.getPixelForValue(run[i].x), scales.y.getPixelForValue(run[i].lo!));
            ctx.closePath();
            ctx.fill();
          }
          run = [];
        };
        for (const p of band.points) {
          if (p.lo === null || p.hi === null) flush();
          else run.push(p);
        }
        flush();
      }
      ctx.restore();
    },
  };
}

/**
 * One chart of per-layer series. A log axis is drawn as log10 of the values on a linear axis, labelled with
 * the values (Chart.js's own logarithmic ticks are unreadable over hundreds of decades).
 */
class LayerChart {
  private readonly chart: Chart<'line', LayerPoint[]>;
  private readonly marker: Marker = { layer: null, text: '', color: MARKER_COLORS.nonFinite };
  private readonly bands: Band[] = [];
  /** How many of `bands` (the last ones) are spreads over seeds. */
  private seedBands = 0;
  /** What is drawn, for the tooltips and info(): the lines and the axis. */
  private drawn: { lines: readonly Line[]; kind: AxisKind } = { lines: [], kind: 'linear' };

  constructor(readonly canvas: HTMLCanvasElement, private title: string, private readonly legend = true) {
    const config: ChartConfiguration<'line', LayerPoint[]> = {
      type: 'line',
      data: { datasets: [] },
      options: {
        ...LINE_CHART_BASE, // parsing off and normalized: {x, y} points sorted by x, as the decimation plugin needs
        scales: {
          x: { type: 'linear', title: { display: true, text: 'layer l' }, ticks: { precision: 0 } },
          y: { type: 'linear' },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'min-max' },
          title: { display: true, text: title, align: 'start', font: { size: 14 } },
          legend: {
            display: legend,
            position: 'top',
            align: 'end',
            labels: { boxWidth: 18, boxHeight: 2, filter: (item) => this.drawn.lines[item.datasetIndex ?? -1]?.inLegend ?? true },
          },
          tooltip: {
            callbacks: {
              title: (items) => (items.length > 0 ? `layer ${(items[0].raw as LayerPoint).layer}` : ''),
              label: (item) => `${this.drawn.lines[item.datasetIndex]?.label ?? ''}: ${this.tooltipValue(item.datasetIndex, (item.raw as LayerPoint).layer)}`,
            },
          },
        },
      },
      plugins: [markerPlugin(this.marker), bandPlugin(this.bands)],
    };
    this.chart = new Chart(canvas, config);
  }

  /**
   * Draw `series` of each of `runs` on the value axis `axis` asks for (see AxisRequest), and each run's predicted rms
   * of the tensors it predicts. With runs in their own colours (a comparison) the legend names the runs and lists the
   * solid series only; the title says which series is dashed.
   */
  show(runs: readonly ChartRun[], series: readonly Series[], axis: AxisRequest, marker: Marker, title = this.title): void {
    this.title = title;
    const kind = this.axisKind(runs, series, axis);
    const compare = runs.some((r) => r.color !== null);
    const lines: Line[] = [];
    for (const run of runs) {
      for (const s of series) {
        const values = plotted(run.result, s, kind);
        const points = toPoints(values, kind);
        const reason = emptyReason(values, kind, points.filter((p) => p.y !== null).length);
        const why = reason ? ` — ${reason}` : '';
        const name = `${s.stat}(${s.tensor}[l])`;
        lines.push({
          label: `${run.label ? `${run.label} · ` : ''}${name}${why}`,
          legend: compare ? `${run.label}${why}` : `${name}${why}`,
          inLegend: !compare || !s.dashed,
          color: run.color ?? s.color, dash: s.dashed ? DASHED : [], width: 2, values, points, predicted: false, reason,
        });
      }
    }
    this.bands.length = 0;
    for (const run of runs) {
      for (const s of series) {
        const predicted = s.stat === 'rms' ? run.prediction?.layers.map((l) => l[s.tensor]) : undefined;
        if (!predicted || predicted.every((p) => p === undefined)) continue;
        const values = predicted.map((p) => (p ? plottedPrediction(p.rms, p.log10?.rms, kind) : NaN));
        const name = `predicted rms(${s.tensor}[l])`;
        const color = run.color ?? s.color;
        lines.push({
          label: `${run.label ? `${run.label} · ` : ''}${name}`, legend: compare ? `${run.label} · predicted ${s.tensor}` : name, inLegend: true,
          color, dash: PREDICTED, width: 1.5, values, points: toPoints(values, kind), predicted: true, reason: null,
        });
        this.bands.push({
          color,
          points: predicted.map((p, i) => ({
            x: i + 1,
            lo: p ? drawnY(plottedPrediction(p.band[0], p.log10?.band[0], kind), kind) : null,
            hi: p ? drawnY(plottedPrediction(p.band[1], p.log10?.band[1], kind), kind) : null,
          })),
        });
      }
    }
    this.seedBands = 0;
    for (const run of runs) {
      const spread = run.seedSpread;
      if (!spread) continue;
      let first = true;
      for (const s of series) {
        if (s.stat !== 'rms') continue;
        // On a 'log10' axis the quantiles of log10 rms (exact where rms is ∞), else those of rms.
        const q = spread.layers.map((l) => (kind === 'log10' ? l[s.tensor].log10.rms : l[s.tensor].rms));
        const values = q.map((x) => x.median);
        const name = `median rms(${s.tensor}[l]) over ${spread.count} seeds`;
        lines.push({
          label: `${run.label ? `${run.label} · ` : ''}${name}`, legend: `10–90% over ${spread.count} seeds`, inLegend: first,
          color: SEED_COLOR, dash: SEED_DOTS, width: 1.5, values, points: toPoints(values, kind), predicted: false, spread: true, reason: null,
        });
        first = false;
        this.bands.push({ color: SEED_COLOR, points: q.map((x, i) => ({ x: i + 1, lo: drawnY(x.p10, kind), hi: drawnY(x.p90, kind) })) });
        this.seedBands += 1;
      }
    }
    this.drawn = { lines, kind };

    const L = Math.max(1, ...runs.map((r) => r.result.layers.length));
    this.chart.data.datasets = lines.map((line) => ({
      label: line.legend,
      data: line.points,
      borderColor: line.color,
      backgroundColor: line.color,
      borderWidth: line.width,
      borderDash: line.dash,
      spanGaps: false,
      // The points actually drawn (decimated for deep networks): a dot where no line reaches.
      pointRadius: (ctx: ScriptableContext<'line'>) => (isIsolated(ctx.dataset.data as LayerPoint[], ctx.dataIndex) ? ISOLATED_RADIUS
        : L <= DOTS_UP_TO && !line.predicted && !line.spread ? 2 : 0),
    }));

    // One y-range for every line and band, set explicitly.
    let lo = Infinity, hi = -Infinity;
    const extend = (y: number | null) => { if (y !== null) { lo = Math.min(lo, y); hi = Math.max(hi, y); } };
    for (const line of lines) for (const p of line.points) extend(p.y);
    for (const band of this.bands) for (const p of band.points) { extend(p.lo); extend(p.hi); }
    const ticks = kind === 'log' && lo <= hi ? logTicks(lo, hi) : null;
    const bounds = ticks ? [ticks[0], ticks[ticks.length - 1]] : lo <= hi ? linearBounds(lo, hi) : [undefined, undefined];
    const stats = [...new Set(series.map((s) => s.stat))].join(', ');
    const axisTitle = kind === 'log10' ? `log10 ${stats}` : kind === 'log' ? `${stats} (log scale)` : stats;
    const opts = this.chart.options;
    opts.scales!.x!.min = L === 1 ? 0.5 : 1;
    opts.scales!.x!.max = L === 1 ? 1.5 : L;
    opts.scales!.y = {
      type: 'linear',
      title: { display: true, text: axisTitle },
      min: bounds[0],
      max: bounds[1],
      ticks: { callback: (v) => (kind === 'log' ? logTickLabel(Number(v)) : tickLabel(Number(v))) },
      afterBuildTicks: (scale) => {
        if (ticks) scale.ticks = ticks.map((value) => ({ value }));
      },
    };
    opts.plugins!.legend!.display = this.legend || compare || lines.some((l) => l.predicted) || this.seedBands > 0;
    const hidden = kind === 'log' && lines.some((l) => l.values.some((v) => Number.isFinite(v) && v <= 0));
    const labels = lines.map((l) => l.label);
    const reasonText = opts.plugins!.legend!.display ? '' : lines.map((l) => (l.reason ? ` — ${l.reason}` : '')).join('');
    const shownTitle = `${this.title}${reasonText}${hidden ? ' (values ≤ 0 not drawn on the log axis)' : ''}`;
    opts.plugins!.title!.text = shownTitle;
    this.canvas.setAttribute('aria-label', `${shownTitle}. Value axis: ${axisTitle}. Series: ${labels.join('; ')}.`);
    Object.assign(this.marker, marker);
    this.chart.update();
  }

  /** What is drawn (see ChartInfo). */
  info(): ChartInfo {
    const y = this.chart.scales.y;
    const drawnAny = this.drawn.lines.some((l) => l.points.some((p) => p.y !== null));
    return {
      axis: this.drawn.kind,
      yMin: drawnAny ? y.min : null,
      yMax: drawnAny ? y.max : null,
      series: this.drawn.lines.map((l) => ({
        label: l.label, color: l.color, dashed: l.dash.length > 0, predicted: l.predicted, drawn: l.points.filter((p) => p.y !== null).length,
      })),
      bands: this.bands.length - this.seedBands,
      seedBands: this.seedBands,
      marker: this.marker.layer === null ? null : { layer: this.marker.layer, text: this.marker.text },
    };
  }

  /** The axis for `series` of `runs` (see AxisRequest). */
  private axisKind(runs: readonly ChartRun[], series: readonly Series[], axis: AxisRequest): AxisKind {
    if (axis === 'log10' || axis === 'linear') return axis;
    const finite = runs.flatMap((run) => series.flatMap((s) => run.result.layers.map((r) => statValue(r[s.tensor], s.stat)))).filter(Number.isFinite);
    const useLog = axis === 'always' ? finite.some((v) => v > 0) : finite.length > 0 && finite.every((v) => v > 0);
    return useLog ? 'log' : 'linear';
  }

  /** The tooltip's text for dataset `i` at `layer`: the value, or on a log10 axis 10^y with y itself. */
  private tooltipValue(i: number, layer: number): string {
    const v = this.drawn.lines[i]?.values[layer - 1];
    if (v === undefined) return '';
    if (drawnY(v, this.drawn.kind) === null) return `${formatNumber(v)} (not drawn)`;
    return this.drawn.kind === 'log10' ? `${logTickLabel(v)} (log10 ${v.toFixed(3)})` : formatNumber(v);
  }
}

/** The page's charts by name. */
export type ChartName = 'forward' | 'backward' | 'explore';

/** The page's three charts. */
export class LayerCharts {
  private readonly charts: Record<ChartName, LayerChart>;
  private runs: readonly ChartRun[] = [];
  private current: RunResult | null = null;
  private linear = false;
  private exploreTensor: TensorName = 'dA';
  private exploreStat: ChartStat = 'rms';

  constructor(canvases: Record<ChartName, HTMLCanvasElement>) {
    this.charts = {
      forward: new LayerChart(canvases.forward, 'Forward: rms of z[l] (dashed) and a[l]'),
      backward: new LayerChart(canvases.backward, 'Backward: rms of dZ[l] (dashed) and dW[l]'),
      explore: new LayerChart(canvases.explore, 'Explore', false),
    };
  }

  /**
   * Draw every chart for `runs` (the current run alone, or with pinned runs; `current` is the one whose first
   * non-finite layer is marked): in the extended range log10 of rms (its values may be ∞), else rms on log axes, or
   * on linear ones (setLinear).
   */
  show(runs: readonly ChartRun[], current: RunResult | null): void {
    this.runs = runs;
    this.current = current;
    this.redraw();
  }

  /** A linear value axis instead of the log axis (the extended range's log10 axis stays). */
  setLinear(linear: boolean): void {
    this.linear = linear;
    this.redraw();
  }

  /** Choose the Explore chart's tensor and statistic, and redraw it. */
  setExplore(tensor: TensorName, stat: ChartStat): void {
    this.exploreTensor = tensor;
    this.exploreStat = stat;
    this.showExplore();
  }

  /** What each chart shows (see ChartInfo). */
  info(): Record<ChartName, ChartInfo> {
    return { forward: this.charts.forward.info(), backward: this.charts.backward.info(), explore: this.charts.explore.info() };
  }

  private get extended(): boolean {
    return this.runs.some((r) => r.result.config.range === 'extended');
  }

  private redraw(): void {
    if (this.runs.length === 0) return;
    const axis: AxisRequest = this.extended ? 'log10' : this.linear ? 'linear' : 'always';
    this.charts.forward.show(this.runs, [
      { tensor: 'z', stat: 'rms', color: COLORS.z, dashed: true },
      { tensor: 'a', stat: 'rms', color: COLORS.a },
    ], axis, this.marker());
    this.charts.backward.show(this.runs, [
      { tensor: 'dZ', stat: 'rms', color: COLORS.dZ, dashed: true },
      { tensor: 'dW', stat: 'rms', color: COLORS.dW },
    ], axis, this.marker());
    this.showExplore();
  }

  /** The layer marked on every chart: the first non-finite value (overflow), else the first all-zero tensor (underflow). */
  private marker(): Marker {
    const f = this.current?.firstNonFinite, z = this.current?.firstAllZero;
    if (f) return { layer: f.layer, text: `first non-finite: ${f.tensor}[${f.layer}]`, color: MARKER_COLORS.nonFinite };
    if (z) return { layer: z.layer, text: `first all-zero (underflow): ${z.tensor}[${z.layer}]`, color: MARKER_COLORS.allZero };
    return { layer: null, text: '', color: MARKER_COLORS.nonFinite };
  }

  /** The Explore chart: log10 for rms, l2 and maxAbs in the extended range, else a log axis where every value is > 0. */
  private showExplore(): void {
    if (this.runs.length === 0) return;
    const t = this.exploreTensor, stat = this.exploreStat;
    const axis: AxisRequest = this.extended && hasLog10(stat) ? 'log10' : this.linear ? 'linear' : 'auto';
    const title = `Explore: ${stat} of ${t}[l]`;
    this.charts.explore.show(this.runs, [{ tensor: t, stat, color: COLORS[t] }], axis, this.marker(), title);
  }
}

/**
 * The three per-layer charts (Chart.js 4): Forward (rms of z^[l], a^[l]), Backward (rms of dZ^[l], dW^[l]) and
 * Explore (any tensor, any statistic). x is the layer l = 1..L. Non-finite values are drawn as gaps, and the
 * layer of the first non-finite value (RunResult.firstNonFinite) is marked with a red dashed line.
 */
import {
  Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip,
  type ChartConfiguration, type Plugin,
} from 'chart.js';
import type { TensorName } from '../model/network';
import type { RunResult } from '../model/result';
import type { StatName } from '../stats/stats';
import { formatNumber } from './format';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip);

/** One line: a statistic of a tensor over the layers. */
interface Series {
  tensor: TensorName;
  stat: StatName;
  color: string;
  dashed?: boolean;
}

/** Where the first non-finite value is, as drawn on a chart. */
interface Marker {
  layer: number | null;
  text: string;
}

const COLORS: Record<TensorName, string> = {
  z: '#7b8fd6', a: '#1f3fb3', dA: '#e08a3c', dZ: '#c2571a', W: '#5aa469', dW: '#a0307a',
};

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
 * one or two; 1..9 × 10^k below that. The first tick is ≤ lo and the last ≥ hi.
 */
function logTicks(lo: number, hi: number): number[] {
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

/**
 * One chart of per-layer series. A log axis is drawn as log10 of the values on a linear axis, labelled with
 * the values (Chart.js's own logarithmic ticks are unreadable over hundreds of decades).
 */
class LayerChart {
  private readonly chart: Chart<'line', (number | null)[], number>;
  private readonly marker: Marker = { layer: null, text: '' };
  /** The values drawn, per dataset (for the tooltips); null where not drawn. */
  private values: (number | null)[][] = [];

  constructor(canvas: HTMLCanvasElement, private title: string, legend = true) {
    const config: ChartConfiguration<'line', (number | null)[], number> = {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'layer l' }, ticks: { precision: 0 } },
          y: { type: 'linear' },
        },
        plugins: {
          title: { display: true, text: title, align: 'start', font: { size: 14 } },
          legend: { display: legend, position: 'top', align: 'end', labels: { boxWidth: 18, boxHeight: 2 } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length > 0 ? `layer ${items[0].parsed.x}` : ''),
              label: (item) => {
                const v = this.values[item.datasetIndex]?.[item.dataIndex] ?? null;
                return `${item.dataset.label}: ${v === null ? 'not drawn' : formatNumber(v)}`;
              },
            },
          },
        },
      },
      plugins: [markerPlugin(this.marker)],
    };
    this.chart = new Chart(canvas, config);
  }

  /**
   * Draw `series` of `result`. Log y-axis if `log` is "always" and some value is > 0, or if `log` is "auto"
   * and every finite value is > 0; linear otherwise. Non-finite values, and values ≤ 0 on a log axis, are gaps.
   */
  show(result: RunResult, series: readonly Series[], log: 'always' | 'auto', marker: Marker, title = this.title): void {
    this.title = title;
    const all = series.flatMap((s) => result.layers.map((r) => r[s.tensor][s.stat])).filter(Number.isFinite);
    const useLog = log === 'always' ? all.some((v) => v > 0) : all.length > 0 && all.every((v) => v > 0);
    const hidden = useLog && all.some((v) => v <= 0);
    this.values = series.map((s) => result.layers.map((r) => {
      const v = r[s.tensor][s.stat];
      return Number.isFinite(v) && (!useLog || v > 0) ? v : null;
    }));
    const L = result.layers.length;
    const stats = [...new Set(series.map((s) => s.stat))].join(', ');
    this.chart.data.labels = result.layers.map((r) => r.layer);
    this.chart.data.datasets = series.map((s, i) => ({
      label: `${s.stat}(${s.tensor}[l])`,
      data: this.values[i].map((v) => (v === null ? null : useLog ? Math.log10(v) : v)),
      borderColor: s.color,
      backgroundColor: s.color,
      borderWidth: 2,
      borderDash: s.dashed ? [6, 4] : [],
      pointRadius: L <= 60 ? 2 : 0,
      spanGaps: false,
    }));
    const drawn = this.values.flat().filter((v): v is number => v !== null).map((v) => (useLog ? Math.log10(v) : v));
    const ticks = useLog && drawn.length > 0 ? logTicks(Math.min(...drawn), Math.max(...drawn)) : null;
    const opts = this.chart.options;
    opts.scales!.x!.min = L === 1 ? 0.5 : 1;
    opts.scales!.x!.max = L === 1 ? 1.5 : L;
    opts.scales!.y = {
      type: 'linear',
      title: { display: true, text: `${stats}${useLog ? ' (log scale)' : ''}` },
      min: ticks ? ticks[0] : undefined,
      max: ticks ? ticks[ticks.length - 1] : undefined,
      ticks: { callback: (v) => (useLog ? logTickLabel(Number(v)) : tickLabel(Number(v))) },
      afterBuildTicks: (axis) => {
        if (ticks) axis.ticks = ticks.map((value) => ({ value }));
      },
    };
    opts.plugins!.title!.text = hidden ? `${this.title} (values ≤ 0 not drawn on the log axis)` : this.title;
    Object.assign(this.marker, marker);
    this.chart.update();
  }
}

/** The page's three charts. */
export class LayerCharts {
  private readonly forward: LayerChart;
  private readonly backward: LayerChart;
  private readonly explore: LayerChart;
  private result: RunResult | null = null;
  private exploreTensor: TensorName = 'dA';
  private exploreStat: StatName = 'rms';

  constructor(canvases: { forward: HTMLCanvasElement; backward: HTMLCanvasElement; explore: HTMLCanvasElement }) {
    this.forward = new LayerChart(canvases.forward, 'Forward: rms of z[l] and a[l]');
    this.backward = new LayerChart(canvases.backward, 'Backward: rms of dZ[l] and dW[l]');
    this.explore = new LayerChart(canvases.explore, 'Explore', false);
  }

  /** Draw every chart for `result`. */
  show(result: RunResult): void {
    this.result = result;
    const f = result.firstNonFinite;
    const marker: Marker = f ? { layer: f.layer, text: `first non-finite: ${f.tensor}[${f.layer}]` } : { layer: null, text: '' };
    this.forward.show(result, [
      { tensor: 'z', stat: 'rms', color: COLORS.z, dashed: true },
      { tensor: 'a', stat: 'rms', color: COLORS.a },
    ], 'always', marker);
    this.backward.show(result, [
      { tensor: 'dZ', stat: 'rms', color: COLORS.dZ, dashed: true },
      { tensor: 'dW', stat: 'rms', color: COLORS.dW },
    ], 'always', marker);
    this.showExplore(marker);
  }

  /** Choose the Explore chart's tensor and statistic, and redraw it. */
  setExplore(tensor: TensorName, stat: StatName): void {
    this.exploreTensor = tensor;
    this.exploreStat = stat;
    const f = this.result?.firstNonFinite;
    this.showExplore(f ? { layer: f.layer, text: `first non-finite: ${f.tensor}[${f.layer}]` } : { layer: null, text: '' });
  }

  private showExplore(marker: Marker): void {
    if (!this.result) return;
    const t = this.exploreTensor;
    const title = `Explore: ${this.exploreStat} of ${t}[l]`;
    this.explore.show(this.result, [{ tensor: t, stat: this.exploreStat, color: COLORS[t] }], 'auto', marker, title);
  }
}

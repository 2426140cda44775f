/**
 * Dead and saturated units per layer (LayerReport.deadUnits / saturatedUnits, hidden layers l < L), as a Chart.js
 * line chart in the style of charts.ts: x the layer, y the fraction of the n^[l] units of a^[l], 0..100%; decimated
 * for deep networks. Saturation (|a| > 0.99 for every example) is drawn for tanh only: ReLU and identity do not
 * saturate, and a ReLU unit above 0.99 for every example is not stuck.
 */
import {
  Chart, Decimation, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { RunResult } from '../../model/result';
import { LINE_CHART_BASE } from '../chart-base';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip, Decimation);

/** A point of a series (parsing: false, for the decimation plugin). */
interface UnitPoint {
  x: number;
  y: number | null;
}

/** The series a result has: dead units always (with histograms), saturated units for tanh. */
export function unitSeries(r: RunResult): { key: 'deadUnits' | 'saturatedUnits'; label: string; color: string }[] {
  if (!r.layers.some((l) => l.deadUnits !== undefined)) return [];
  const series: { key: 'deadUnits' | 'saturatedUnits'; label: string; color: string }[] = [
    { key: 'deadUnits', label: 'dead units (a[l] = 0 for every example)', color: '#6a3d9a' },
  ];
  if (r.config.activation === 'tanh') series.push({ key: 'saturatedUnits', label: 'saturated units (|a[l]| > 0.99 for every example)', color: '#e08a3c' });
  return series;
}

/** What the chart shows, for the tests. */
export interface UnitsInfo {
  series: { label: string; drawn: number; max: number }[];
}

/** The dead / saturated units chart on one canvas (Chart.js). */
export class UnitsChart {
  private readonly chart: Chart<'line', UnitPoint[]>;
  private shown: UnitsInfo | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const config: ChartConfiguration<'line', UnitPoint[]> = {
      type: 'line',
      data: { datasets: [] },
      options: {
        ...LINE_CHART_BASE, // parsing off and normalized: {x, y} points sorted by x, as the decimation plugin needs
        scales: {
          x: { type: 'linear', title: { display: true, text: 'layer l' }, ticks: { precision: 0 } },
          y: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'fraction of the units of a[l]' }, ticks: { callback: (v) => `${Math.round(Number(v) * 100)}%` } },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'min-max' },
          title: { display: false },
          legend: { position: 'top', align: 'end', labels: { boxWidth: 18, boxHeight: 2 } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length > 0 ? `layer ${Math.round((items[0].raw as UnitPoint).x)}` : ''),
              label: (item) => `${item.dataset.label ?? ''}: ${(100 * ((item.raw as UnitPoint).y ?? NaN)).toFixed(1)}%`,
            },
          },
        },
      },
    };
    this.chart = new Chart(canvas, config);
  }

  /** Draw the unit fractions of `r` (null, or a result without them: nothing). @returns whether anything is drawn */
  show(r: RunResult | null): boolean {
    const series = r ? unitSeries(r) : [];
    const L = r?.layers.length ?? 1;
    this.chart.data.datasets = series.map((s) => ({
      label: s.label,
      data: r!.layers.slice(0, L - 1).map((l): UnitPoint => ({ x: l.layer, y: l[s.key] ?? null })),
      borderColor: s.color,
      backgroundColor: s.color,
      borderWidth: 2,
      pointRadius: L <= 60 ? 2 : 0,
    }));
    const x = this.chart.options.scales!.x!;
    x.min = 1;
    x.max = Math.max(2, L - 1);
    this.chart.update();
    // From the data given (Chart.js's decimation replaces dataset.data with what it draws).
    this.shown = series.length === 0 ? null : {
      series: series.map((s) => {
        const ys = r!.layers.slice(0, L - 1).map((l) => l[s.key]).filter((y): y is number => y !== undefined);
        return { label: s.label, drawn: ys.length, max: ys.reduce((m, y) => Math.max(m, y), 0) };
      }),
    };
    this.canvas.setAttribute('aria-label', `Dead and saturated units of a[l]. Series: ${series.map((s) => s.label).join('; ') || 'none'}.`);
    return series.length > 0;
  }

  /** What is drawn, or null. */
  info(): UnitsInfo | null {
    return this.shown;
  }
}

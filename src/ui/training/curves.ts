/**
 * The training curves (Chart.js 4): loss J against the step on a log axis (the train and test parts at every
 * evaluation, solid and dashed, and the minibatch loss of every step as a thin line, decimated to the lowest and
 * highest value per bucket of steps for long runs) and accuracy against the step (train solid, test dashed). Several
 * runs share the axes, each in its colour. A run that diverged has its curves end before the divergence and a red
 * dashed line at its step, labelled with the first non-finite tensor and layer.
 */
import {
  Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Title, Tooltip,
  type ChartConfiguration, type ChartDataset, type Plugin,
} from 'chart.js';
import { formatNumber } from '../format';
import { decimateMinMax, type StepPoint } from './bins';
import type { TrainingRun } from './runs';
import { LINE_CHART_BASE } from '../chart-base';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Title, Tooltip);

/** Most buckets of the minibatch-loss line (two points each): about one per pixel column of a wide chart. */
const LOSS_BUCKETS = 800;
/** Up to this many evaluations per run every one gets a dot. */
const DOTS_UP_TO = 60;
const DASHED = [6, 4];

/** What a curve chart shows, for the tests and the console (window.gradscope.training.curves). */
export interface CurveInfo {
  /** Every line: its label ("kaiming_normal (He) · test loss"), colour, dash, and the points it draws. */
  series: { label: string; color: string; dashed: boolean; points: number }[];
  /** The divergence markers: step and text. */
  markers: { step: number; text: string }[];
  /** The x axis' end (the most steps of any run). */
  xMax: number;
}

/** A line as drawn, with whether the legend lists it. */
interface Line {
  label: string;
  legend: string;
  inLegend: boolean;
  color: string;
  dashed: boolean;
  width: number;
  points: StepPoint[];
}

/** A log-axis tick: powers of ten as "1e+15", "1000", "0.01"; others as formatNumber. */
function logTick(v: number): string {
  const e = Math.log10(v);
  if (Math.abs(e - Math.round(e)) > 1e-9) return formatNumber(v);
  const k = Math.round(e);
  return k >= -2 && k <= 4 ? String(Number((10 ** k).toPrecision(1))) : `1e${k > 0 ? '+' : ''}${k}`;
}

/** `color` (#rrggbb) with opacity `alpha`. */
function translucent(color: string, alpha: number): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Red dashed vertical lines at the markers' steps, each with its text, stacked from the top. */
function markerPlugin(markers: CurveInfo['markers']): Plugin<'line'> {
  return {
    id: 'divergenceMarkers',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      markers.forEach((m, k) => {
        const x = chart.scales.x.getPixelForValue(m.step);
        ctx.save();
        ctx.strokeStyle = '#d0021b';
        ctx.lineWidth = 1.5;
        ctx.setLineDash([5, 4]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.fillStyle = '#d0021b';
        ctx.font = 'bold 11px system-ui, sans-serif';
        const right = x > (chartArea.left + chartArea.right) / 2;
        ctx.textAlign = right ? 'right' : 'left';
        ctx.fillText(m.text, x + (right ? -5 : 5), chartArea.top + 14 + 14 * k);
        ctx.restore();
      });
    },
  };
}

/** One chart of step curves. */
class CurveChart {
  private readonly chart: Chart<'line', StepPoint[]>;
  private readonly markers: CurveInfo['markers'] = [];
  private lines: Line[] = [];
  private xMax = 1;

  /**
   * @param y the value axis: 'log' for the loss, 'fraction' for the accuracy (0..1 shown as %)
   */
  constructor(private readonly canvas: HTMLCanvasElement, private readonly title: string, private readonly y: 'log' | 'fraction') {
    const config: ChartConfiguration<'line', StepPoint[]> = {
      type: 'line',
      data: { datasets: [] },
      options: {
        ...LINE_CHART_BASE, // parsing off and normalized: {x, y} points sorted by x, as the decimation plugin needs
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'step' }, ticks: { precision: 0 } },
          y: y === 'log'
            ? { type: 'logarithmic', title: { display: true, text: 'loss J (log scale)' }, ticks: { callback: (v) => logTick(Number(v)) } }
            : { type: 'linear', min: 0, max: 1, title: { display: true, text: 'accuracy' }, ticks: { callback: (v) => `${Math.round(100 * Number(v))}%` } },
        },
        plugins: {
          title: { display: true, text: title, align: 'start', font: { size: 14 } },
          legend: {
            position: 'top',
            align: 'end',
            labels: { boxWidth: 18, boxHeight: 2, filter: (item) => this.lines[item.datasetIndex ?? -1]?.inLegend ?? true },
          },
          tooltip: {
            callbacks: {
              title: (items) => (items.length > 0 ? `step ${(items[0].raw as StepPoint).x}` : ''),
              label: (item) => {
                const v = (item.raw as StepPoint).y;
                const text = v === null ? 'not drawn' : this.y === 'fraction' ? `${(100 * v).toFixed(1)}%` : formatNumber(v);
                return `${this.lines[item.datasetIndex]?.label ?? ''}: ${text}`;
              },
            },
          },
        },
      },
      plugins: [markerPlugin(this.markers)],
    };
    this.chart = new Chart(canvas, config);
  }

  /** Draw `lines` over steps 0..xMax with the divergence `markers`. */
  show(lines: Line[], xMax: number, markers: CurveInfo['markers']): void {
    this.lines = lines;
    this.xMax = xMax;
    this.markers.splice(0, this.markers.length, ...markers);
    const dots = (l: Line) => (l.width > 1 && l.points.length <= DOTS_UP_TO ? 2 : 0);
    this.chart.data.datasets = lines.map((l): ChartDataset<'line', StepPoint[]> => ({
      label: l.legend, data: l.points, borderColor: l.color, backgroundColor: l.color, borderWidth: l.width,
      borderDash: l.dashed ? DASHED : [], pointRadius: dots(l), spanGaps: false,
    }));
    this.chart.options.scales!.x!.max = xMax;
    this.chart.options.plugins!.legend!.display = lines.length > 0;
    const series = lines.map((l) => `${l.label} (${l.points.filter((p) => p.y !== null).length} points)`);
    const marks = markers.map((m) => m.text);
    this.canvas.setAttribute('aria-label', `${this.title}. Series: ${series.join('; ') || 'none'}.${marks.length > 0 ? ` Marked: ${marks.join('; ')}.` : ''}`);
    this.chart.update();
  }

  info(): CurveInfo {
    return {
      series: this.lines.map((l) => ({ label: l.label, color: l.color, dashed: l.dashed, points: l.points.filter((p) => p.y !== null).length })),
      markers: this.markers.map((m) => ({ ...m })),
      xMax: this.xMax,
    };
  }
}

/** The loss and accuracy charts of the training section. */
export class TrainingCurves {
  private readonly loss: CurveChart;
  private readonly accuracy: CurveChart;

  constructor(canvases: { loss: HTMLCanvasElement; accuracy: HTMLCanvasElement }) {
    this.loss = new CurveChart(canvases.loss, 'Loss J: train (solid), test (dashed), minibatch (thin)', 'log');
    this.accuracy = new CurveChart(canvases.accuracy, 'Accuracy: train (solid), test (dashed)', 'fraction');
  }

  /**
   * Draw `runs` (each in run.color, legend run.label): with one run the legend names the lines (train, test,
   * minibatch); with several it names the runs.
   */
  show(runs: readonly TrainingRun[]): void {
    const several = runs.length > 1;
    const lossLines: Line[] = [], accuracyLines: Line[] = [];
    const positive = (v: number) => Number.isFinite(v) && v > 0;
    for (const run of runs) {
      const evals = run.drawnEvaluations;
      const line = (what: string, points: StepPoint[], dashed: boolean, width: number, color: string, legendFirst: boolean): Line => ({
        label: `${run.label} · ${what}`, legend: several ? run.label : what, inLegend: several ? legendFirst : true,
        color, dashed, width, points,
      });
      const d = run.divergence;
      const losses = d ? run.losses.all.subarray(0, d.step) : run.losses.all;
      lossLines.push(
        line('train loss', evals.map((e) => ({ x: e.step, y: positive(e.train.loss) ? e.train.loss : null })), false, 2, run.color, true),
        line('test loss', evals.map((e) => ({ x: e.step, y: positive(e.test.loss) ? e.test.loss : null })), true, 2, run.color, false),
        line('minibatch loss', decimateMinMax(losses, LOSS_BUCKETS, positive), false, 1, translucent(run.color, 0.35), false),
      );
      accuracyLines.push(
        line('train accuracy', evals.map((e) => ({ x: e.step, y: Number.isFinite(e.train.accuracy) ? e.train.accuracy : null })), false, 2, run.color, true),
        line('test accuracy', evals.map((e) => ({ x: e.step, y: Number.isFinite(e.test.accuracy) ? e.test.accuracy : null })), true, 2, run.color, false),
      );
    }
    const xMax = Math.max(1, ...runs.map((r) => r.config.steps));
    const markers = runs.filter((r) => r.divergence).map((r) => ({
      step: r.divergence!.step,
      text: `${several ? `${r.label}: ` : ''}diverged at step ${r.divergence!.step} (${r.divergence!.tensor}^[${r.divergence!.layer}])`,
    }));
    this.loss.show(lossLines, xMax, markers);
    this.accuracy.show(accuracyLines, xMax, markers);
  }

  info(): { loss: CurveInfo; accuracy: CurveInfo } {
    return { loss: this.loss.info(), accuracy: this.accuracy.info() };
  }
}

/**
 * A layer × step heatmap of one per-layer statistic of a training run (rms(dW^[l]) or rms(a^[l])), drawn on a canvas:
 * layer l = 1 (input side) at the top to L at the bottom, steps 1..N from left to right (filled as the run goes),
 * colour = log10 of the value on a perceptually uniform scale (viridis) from the run's smallest to its largest value,
 * with exact zeros in grey and NaN/±∞ in red. Long and deep runs are binned to at most one cell per pixel (bins.ts:
 * each cell the geometric mean of its values). Hovering shows the layer(s), step(s) and value of the cell.
 */
import { formatNumber } from '../format';
import { binOf, binRange, binRecords, type HeatmapGrid } from './bins';
import type { StepRecord } from '../../session/train';

/** The data of a heatmap: one run's records and its size. */
export interface HeatmapData {
  records: readonly StepRecord[];
  /** L and the steps the run will make (N). */
  layers: number;
  steps: number;
}

/** What a heatmap shows, for the tests and the console (window.gradscope.training.heatmaps). */
export interface HeatmapInfo {
  /** The statistic, e.g. "rms(dW[l])". */
  name: string;
  layers: number;
  steps: number;
  /** The grid drawn (cells: at most one per pixel). */
  cols: number;
  rows: number;
  /** Cells with at least one value; with a NaN or ±∞; whose values are all 0. */
  filled: number;
  nonFinite: number;
  allZero: number;
  /** The colour scale: log10 of the smallest and largest cell value; null when nothing > 0 is drawn. */
  log10Min: number | null;
  log10Max: number | null;
}

/** Viridis, 10 stops from low to high. */
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725']
  .map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
const ZERO_COLOR = '#b9bfcc';
const NONFINITE_COLOR = '#d0021b';
const EMPTY_COLOR = '#f4f5f8';
const TEXT_COLOR = '#4a5470';

/** The colour of t in 0..1 on the viridis scale. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  const [r, g, b] = VIRIDIS[i].map((v, k) => Math.round(v + f * (VIRIDIS[i + 1][k] - v)));
  return `rgb(${r},${g},${b})`;
}

/** Margins of the plot inside the canvas, CSS pixels: layer labels left, colour bar right, step labels below. */
const MARGIN = { left: 46, right: 78, top: 6, bottom: 30 };

/** About `count` round tick values in lo..hi (1, 2 or 5 × 10^k apart). */
function ticks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** "1e-3", "0.01", "1", "1e+5": 10^e for a colour-bar label. */
function powerLabel(e: number): string {
  return e >= -2 && e <= 3 ? String(Number((10 ** e).toPrecision(3))) : `1e${e > 0 ? '+' : ''}${e}`;
}

/** A colour-bar end in at most 7 characters: "0.0123", "6.7e-6", "4.5e+12". */
export function shortNumber(v: number): string {
  return v >= 1e-3 && v < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(1).replace(/\.0e/, 'e');
}

export class Heatmap {
  private data: HeatmapData | null = null;
  private grid: HeatmapGrid | null = null;
  /** Plot rectangle in CSS pixels (set by draw). */
  private plot = { x: 0, y: 0, w: 0, h: 0 };

  /**
   * @param canvas drawn on at the screen's resolution, sized by CSS (width of its box, height from the stylesheet)
   * @param tip an element shown beside the pointer with the hovered cell's text
   * @param name the statistic in the tooltip and info(), e.g. "rms(dW[l])"
   * @param pick its values per layer in a record (layer l at index l − 1)
   */
  constructor(private readonly canvas: HTMLCanvasElement, private readonly tip: HTMLElement, readonly name: string,
    private readonly pick: (r: StepRecord) => ArrayLike<number>) {
    canvas.addEventListener('mousemove', (e) => this.hover(e.offsetX, e.offsetY));
    canvas.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Draw `data` (null: clear). Cheap enough to call after every step (binning is O(records · L)). */
  show(data: HeatmapData | null): void {
    this.data = data;
    this.draw();
  }

  /** What is drawn (see HeatmapInfo). */
  info(): HeatmapInfo {
    const g = this.grid;
    let filled = 0, nonFinite = 0, allZero = 0;
    if (g) {
      for (let i = 0; i < g.count.length; i++) {
        if (g.count[i] === 0) continue;
        filled++;
        if (g.nonFinite[i] > 0) nonFinite++;
        else if (g.zeros[i] === g.count[i]) allZero++;
      }
    }
    return {
      name: this.name, layers: g?.layers ?? 0, steps: g?.steps ?? 0, cols: g?.cols ?? 0, rows: g?.rows ?? 0, filled, nonFinite, allZero,
      log10Min: g && Number.isFinite(g.min) ? g.min : null, log10Max: g && Number.isFinite(g.max) ? g.max : null,
    };
  }

  /**
   * The value drawn in the cell of layer `layer` (1..L) and step `step` (1..N): the geometric mean of its values > 0
   * (the value itself when not binned), 0 when they are all 0, NaN when one is NaN or ±∞; null when the cell is not
   * filled yet, or nothing is drawn, or (layer, step) is outside the grid.
   */
  valueAt(layer: number, step: number): number | null {
    const g = this.grid;
    if (!g || !(layer >= 1 && layer <= g.layers && step >= 1 && step <= g.steps)) return null;
    const i = binOf(layer, g.layers, g.rows) * g.cols + binOf(step, g.steps, g.cols);
    if (g.count[i] === 0) return null;
    if (g.nonFinite[i] > 0) return NaN;
    return Number.isFinite(g.log10[i]) ? 10 ** g.log10[i] : 0;
  }

  /**
   * The text of the cell under (x, y), CSS pixels from the canvas's top left: "layer 3, step 120: rms(dW[l]) = 0.001234",
   * or with ranges and "geometric mean of k values" for a binned cell; null outside the plot.
   */
  textAt(x: number, y: number): string | null {
    const g = this.grid, p = this.plot;
    if (!g || x < p.x || y < p.y || x >= p.x + p.w || y >= p.y + p.h) return null;
    const c = Math.min(g.cols - 1, Math.floor(((x - p.x) / p.w) * g.cols)), r = Math.min(g.rows - 1, Math.floor(((y - p.y) / p.h) * g.rows));
    const s = binRange(c, g.steps, g.cols), l = binRange(r, g.layers, g.rows);
    const where = `${l.first === l.last ? `layer ${l.first}` : `layers ${l.first}–${l.last}`}, ${s.first === s.last ? `step ${s.first}` : `steps ${s.first}–${s.last}`}`;
    const i = r * g.cols + c, n = g.count[i];
    if (n === 0) return `${where}: not trained yet`;
    const parts: string[] = [];
    if (Number.isFinite(g.log10[i])) parts.push(`${this.name} = ${formatNumber(10 ** g.log10[i])}${n > 1 ? ` (geometric mean of ${n - g.zeros[i] - g.nonFinite[i]} values)` : ''}`);
    if (g.zeros[i] > 0) parts.push(n === 1 ? `${this.name} = 0` : `${g.zeros[i]} of ${n} values 0`);
    if (g.nonFinite[i] > 0) parts.push(n === 1 ? `${this.name} is NaN or ±∞` : `${g.nonFinite[i]} of ${n} values NaN or ±∞`);
    return `${where}: ${parts.join('; ')}`;
  }

  private hover(x: number, y: number): void {
    const text = this.textAt(x, y);
    this.tip.hidden = text === null;
    if (text === null) return;
    this.tip.textContent = text;
    // Beside the pointer, kept inside the canvas's box.
    const box = this.canvas.clientWidth;
    this.tip.style.left = `${Math.max(0, Math.min(x + 12, box - this.tip.offsetWidth))}px`;
    this.tip.style.top = `${y + 14}px`;
  }

  private draw(): void {
    const canvas = this.canvas, dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const p = { x: MARGIN.left, y: MARGIN.top, w: Math.max(10, width - MARGIN.left - MARGIN.right), h: Math.max(10, height - MARGIN.top - MARGIN.bottom) };
    this.plot = p;
    const d = this.data;
    if (!d || d.layers < 1 || d.steps < 1) {
      this.grid = null;
      return;
    }
    // At most one cell per device pixel.
    const g = binRecords(d.records, (r) => this.pick(r), d.layers, d.steps, p.w * dpr, p.h * dpr);
    this.grid = g;
    ctx.fillStyle = EMPTY_COLOR;
    ctx.fillRect(p.x, p.y, p.w, p.h);
    const span = g.max - g.min;
    const edge = (k: number, n: number, from: number, size: number) => from + (k * size) / n;
    for (let r = 0; r < g.rows; r++) {
      const y0 = edge(r, g.rows, p.y, p.h), y1 = edge(r + 1, g.rows, p.y, p.h);
      for (let c = 0; c < g.cols; c++) {
        const i = r * g.cols + c;
        if (g.count[i] === 0) continue;
        ctx.fillStyle = g.nonFinite[i] > 0 ? NONFINITE_COLOR : Number.isFinite(g.log10[i])
          ? viridis(span > 0 ? (g.log10[i] - g.min) / span : 0.5) : ZERO_COLOR;
        const x0 = edge(c, g.cols, p.x, p.w), x1 = edge(c + 1, g.cols, p.x, p.w);
        // Whole device pixels, so neighbouring cells meet without seams.
        ctx.fillRect(Math.floor(x0 * dpr) / dpr, Math.floor(y0 * dpr) / dpr, (Math.ceil(x1 * dpr) - Math.floor(x0 * dpr)) / dpr,
          (Math.ceil(y1 * dpr) - Math.floor(y0 * dpr)) / dpr);
      }
    }
    ctx.strokeStyle = '#8a93a8';
    ctx.lineWidth = 1;
    ctx.strokeRect(p.x - 0.5, p.y - 0.5, p.w + 1, p.h + 1);
    this.axes(ctx, g, p);
    this.colourBar(ctx, g, p);
  }

  /** Layer labels on the left (l = 1 at the top), step ticks below. */
  private axes(ctx: CanvasRenderingContext2D, g: HeatmapGrid, p: { x: number; y: number; w: number; h: number }): void {
    ctx.fillStyle = TEXT_COLOR;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const layerTicks = [...new Set([1, ...ticks(1, g.layers, 4).filter((l) => l >= 1 && Number.isInteger(l)), g.layers])];
    for (const l of layerTicks) {
      const r = binOf(l, g.layers, g.rows);
      const y = p.y + ((r + 0.5) * p.h) / g.rows;
      ctx.fillText(l === 1 ? 'l = 1' : String(l), p.x - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const s of ticks(0, g.steps, 6)) {
      const x = p.x + (s / g.steps) * p.w;
      ctx.fillRect(x, p.y + p.h, 1, 3);
      ctx.fillText(String(s), Math.min(x, p.x + p.w - 8), p.y + p.h + 4);
    }
    ctx.textAlign = 'left';
    ctx.fillText('step', p.x, p.y + p.h + 16);
  }

  /** The colour scale at the right: viridis from min (bottom) to max (top) with 10^k labels, then the 0 and NaN/∞ keys. */
  private colourBar(ctx: CanvasRenderingContext2D, g: HeatmapGrid, p: { x: number; y: number; w: number; h: number }): void {
    const x = p.x + p.w + 8, w = 10, top = p.y, h = Math.max(20, p.h - 30);
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    if (Number.isFinite(g.min)) {
      const steps = Math.max(2, Math.round(h));
      for (let k = 0; k < steps; k++) {
        ctx.fillStyle = viridis(1 - k / (steps - 1));
        ctx.fillRect(x, top + (k * h) / steps, w, h / steps + 0.5);
      }
      ctx.fillStyle = TEXT_COLOR;
      const span = g.max - g.min;
      // Whole decades (every k-th, at most 4) where the scale spans two or more; else its two ends.
      const first = Math.ceil(g.min), last = Math.floor(g.max), every = Math.max(1, Math.ceil((last - first + 1) / 4));
      const decades: number[] = [];
      for (let e = first; e <= last; e += every) decades.push(e);
      const shown = decades.length >= 2 ? decades : span > 0 ? [g.min, g.max] : [g.min];
      for (const e of shown) {
        const y = span > 0 ? top + h - ((e - g.min) / span) * h : top + h / 2;
        ctx.fillRect(x + w, y, 3, 1);
        ctx.fillText(Number.isInteger(e) ? powerLabel(e) : shortNumber(10 ** e), x + w + 5, y);
      }
    }
    const keys: [string, string][] = [[ZERO_COLOR, '0'], [NONFINITE_COLOR, 'NaN/∞']];
    keys.forEach(([color, text], k) => {
      const y = top + h + 6 + k * 12;
      ctx.fillStyle = color;
      ctx.fillRect(x, y, w, 9);
      ctx.fillStyle = TEXT_COLOR;
      ctx.fillText(text, x + w + 5, y + 5);
    });
  }
}

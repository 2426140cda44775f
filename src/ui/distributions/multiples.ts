/**
 * Small multiples: the histogram of each selected layer as bars (count per bin, each panel scaled to its own largest
 * bin) on the heatmap's columns, like the per-layer histograms of deeplearning.ai's initialisation notebook. With the
 * magnitude binning every panel shares the heatmap's exponents, so a drift from layer to layer is a shift of the bump;
 * with the linear binning each panel spans its own layer's [min, max] (labelled under it).
 */
import { LINEAR_BINS } from '../../stats/histogram';
import { formatNumber } from '../format';
import { cellAt, cellCount, cellText, edgeText, layoutColumns, linearAxis, magnitudeAxis, magnitudeBudget, type BinAxis, type ColumnLayout } from './bins';
import { axisTitle, countText, drawTicks, placeTip, type HistHover, type HistogramView, type Rect } from './heatmap';
import { magnitudeTicks, type Tick } from './ticks';

/** At most this many layers are drawn side by side. */
export const MAX_MULTIPLES = 12;

/** The default layers of L: 1, L/4, L/2, 3L/4, L (rounded, without repeats). */
export function defaultLayers(L: number): number[] {
  return [...new Set([0, 0.25, 0.5, 0.75, 1].map((f) => Math.min(L, Math.max(1, Math.round(f * L)))))];
}

/**
 * The layers typed in the field: whole numbers 1..L separated by commas or spaces, at most MAX_MULTIPLES; sorted,
 * repeats dropped. An empty field means defaultLayers(L).
 * @returns the layers, or an error naming the first bad item
 */
export function parseLayers(text: string, L: number): { layers: number[] } | { error: string } {
  const items = text.split(/[\s,;]+/).filter((t) => t !== '');
  if (items.length === 0) return { layers: defaultLayers(L) };
  const layers = new Set<number>();
  for (const item of items) {
    if (!/^\d+$/.test(item) || Number(item) < 1 || Number(item) > L) return { error: `layers: "${item.slice(0, 20)}" is not a layer 1..${L}` };
    layers.add(Number(item));
  }
  if (layers.size > MAX_MULTIPLES) return { error: `layers: at most ${MAX_MULTIPLES}, not ${layers.size}` };
  return { layers: [...layers].sort((a, b) => a - b) };
}

/** One panel as drawn. */
interface Panel {
  layer: number;
  canvas: HTMLCanvasElement;
  axis: BinAxis;
  layout: ColumnLayout;
  plot: Rect;
  counts: number[];
}

const HEIGHT = 130;
const MARGIN = { left: 6, right: 6, top: 18, bottom: 18 } as const;
const BAR = '#2c728e', SPECIAL_BAR = '#8a93a8', BAD_BAR = '#d0021b', FRAME = '#b9bfcc', INK = '#1d2330', MUTED = '#4a5470';

/** What the small multiples show, for the tests (window.gradscope.distributions.multiples). */
export interface MultiplesInfo {
  layers: number[];
  /** Each panel's largest count and number of columns. */
  panels: { layer: number; max: number; columns: number }[];
}

/** The small multiples: one canvas per selected layer in a grid, with their hover text. */
export class SmallMultiples {
  private panels: Panel[] = [];
  private view: HistogramView | null = null;
  private layers: number[] = [];

  /**
   * @param grid the element the panels go in (position: relative; holds `tip`)
   * @param tip the hover text's element
   * @param onHover told what is under the cursor
   */
  constructor(private readonly grid: HTMLElement, private readonly tip: HTMLElement, private readonly onHover: (h: HistHover | null) => void) {}

  /** Draw `layers` of `view` (null: none). */
  show(view: HistogramView | null, layers: readonly number[]): void {
    this.view = view;
    this.layers = view ? layers.filter((l) => l >= 1 && l <= view.layers.length) : [];
    this.tip.hidden = true;
    for (const p of this.panels) p.canvas.parentElement!.remove();
    this.panels = [];
    if (!view) return;
    for (const layer of this.layers) {
      const figure = document.createElement('figure');
      figure.className = 'multiple';
      const canvas = document.createElement('canvas');
      canvas.dataset.layer = String(layer);
      figure.append(canvas);
      this.grid.insertBefore(figure, this.tip);
      canvas.addEventListener('mousemove', (e) => this.hover(canvas, e.offsetX, e.offsetY));
      canvas.addEventListener('mouseleave', () => {
        this.tip.hidden = true;
        this.onHover(null);
      });
      this.panels.push({ layer, canvas, axis: linearAxis(1), layout: { x0: new Float64Array(0), x1: new Float64Array(0) }, plot: { left: 0, top: 0, width: 0, height: 0 }, counts: [] });
    }
    this.redraw();
  }

  /** Draw every panel again at its current width. */
  redraw(): void {
    for (const p of this.panels) this.draw(p);
  }

  /** What is drawn (see MultiplesInfo). */
  info(): MultiplesInfo {
    return { layers: [...this.layers], panels: this.panels.map((p) => ({ layer: p.layer, max: Math.max(0, ...p.counts), columns: p.counts.length })) };
  }

  private draw(p: Panel): void {
    const view = this.view!;
    const dpr = window.devicePixelRatio || 1;
    const cssW = Math.max(120, p.canvas.parentElement!.clientWidth);
    p.canvas.style.width = `${cssW}px`;
    p.canvas.style.height = `${HEIGHT}px`;
    p.canvas.width = Math.round(cssW * dpr);
    p.canvas.height = Math.round(HEIGHT * dpr);
    p.plot = { left: MARGIN.left, top: MARGIN.top, width: cssW - MARGIN.left - MARGIN.right, height: HEIGHT - MARGIN.top - MARGIN.bottom };
    p.axis = view.binning === 'magnitude' ? magnitudeAxis(view.range, view.signs, magnitudeBudget(p.plot.width, dpr), view.negatives) : linearAxis(Math.floor(p.plot.width * dpr));
    p.layout = layoutColumns(p.axis, p.plot.width);
    const h = view.layers[p.layer - 1].histograms?.[view.tensor];
    p.counts = p.axis.cells.map((c) => (h ? cellCount(h, c) : 0));
    const max = Math.max(0, ...p.counts);

    const ctx = p.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, HEIGHT);
    const { plot } = p;
    const base = plot.top + plot.height;
    p.axis.cells.forEach((c, i) => {
      const n = p.counts[i];
      if (n <= 0) return;
      const bh = Math.max(1, (n / max) * plot.height);
      ctx.fillStyle = c.kind !== 'special' ? BAR : c.which === 'inf' || c.which === 'nan' ? BAD_BAR : SPECIAL_BAR;
      const x0 = plot.left + p.layout.x0[i], w = Math.max(1 / dpr, p.layout.x1[i] - p.layout.x0[i] - (p.layout.x1[i] - p.layout.x0[i] > 3 ? 0.5 : 0));
      ctx.fillRect(x0, base - bh, w, bh);
    });
    ctx.strokeStyle = FRAME;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(plot.left, base + 0.5);
    ctx.lineTo(plot.left + plot.width, base + 0.5);
    ctx.stroke();
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.fillStyle = INK;
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.fillText(`layer ${p.layer}`, plot.left, 12);
    ctx.font = '10px system-ui, sans-serif';
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.fillText(h ? `max ${formatNumber(max)} per bin` : 'no histograms', plot.left + plot.width, 12);
    ctx.textAlign = 'center';
    ctx.strokeStyle = MUTED;
    drawTicks(ctx, this.ticks(p), plot.left, base + 1, base + 15);
    p.canvas.setAttribute('aria-label', `Histogram of ${view.tensor}[${p.layer}]: ${p.counts.length} columns, largest count ${max}. ${axisTitle(view, p.axis)}.`);
  }

  /** The panel's x ticks: exponents and special values, or (linear) the layer's own min, 0 and max. */
  private ticks(p: Panel): Tick[] {
    const view = this.view!;
    if (view.binning === 'magnitude') return magnitudeTicks(p.axis, p.layout, 34);
    const lin = view.layers[p.layer - 1].histograms?.[view.tensor].linear;
    if (!lin) return [];
    const lo = lin.edges[0], hi = lin.edges[LINEAR_BINS], w = p.layout.x1[p.layout.x1.length - 1];
    const ticks: Tick[] = [{ at: 0, label: edgeText(lo) }, { at: w, label: edgeText(hi) }];
    if (lo < 0 && hi > 0) ticks.push({ at: (-lo / (hi - lo)) * w, label: '0' });
    return ticks;
  }

  private hover(canvas: HTMLCanvasElement, x: number, y: number): void {
    const p = this.panels.find((q) => q.canvas === canvas);
    const view = this.view;
    const i = p ? cellAt(p.layout, x - p.plot.left) : -1;
    if (!p || !view || i < 0 || y < p.plot.top || y > p.plot.top + p.plot.height) {
      this.tip.hidden = true;
      this.onHover(null);
      return;
    }
    const report = view.layers[p.layer - 1];
    const cell = p.axis.cells[i];
    const count = p.counts[i], values = report[view.tensor].count;
    const text = `${view.tensor}[l], layer ${p.layer} · ${cellText(cell, report.histograms?.[view.tensor])} · ${countText(count, values)}`;
    placeTip(this.tip, text, canvas.offsetLeft + x, canvas.offsetTop + y);
    this.onHover({ where: 'multiples', tensor: view.tensor, binning: view.binning, layers: [p.layer, p.layer], cell, count, values, text });
  }
}

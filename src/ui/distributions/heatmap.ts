/**
 * The layer × bin heatmap of one tensor: rows are layers l = 1..L (top to bottom), columns the bins of bins.ts, the
 * colour the count on a log scale (viridis; white = none; grey = a row with nothing to count). Drawn pixel by pixel
 * into an ImageData at the device's resolution, so it is crisp and fast at 10,000 layers: each device pixel looks up
 * its row and column. Hovering shows the layer(s), the bin's range and its count.
 */
import type { TensorName } from '../../model/network';
import type { LayerReport } from '../../model/result';
import { formatNumber } from '../format';
import {
  cellAt, cellText, countMatrix, layoutColumns, linearAxis, magnitudeAxis, magnitudeBudget, rowGroups, rowLayers,
  type BinAxis, type Binning, type Cell, type ColumnLayout, type CountMatrix, type ExponentRange, type RowGroups, type Signs,
} from './bins';
import { countPosition, viridis, type Rgb } from './colormap';
import { countTicks, layerTicks, magnitudeTicks, type Tick } from './ticks';

/** What a heatmap (and the small multiples) draw. */
export interface HistogramView {
  tensor: TensorName;
  layers: readonly LayerReport[];
  binning: Binning;
  signs: Signs;
  /** The true exponents holding a value in any layer of the tensor (bins.ts exponentRange); null if none. */
  range: ExponentRange | null;
  /** Some layer of the tensor has a negative value (bins.ts hasNegatives): 'split' then has a negative side. */
  negatives: boolean;
  /** The run used the extended range (a layer's bins are placed by stored exponent + its shift). */
  extended: boolean;
}

/** A rectangle in CSS px from the canvas's top-left corner. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** What the heatmap draws, for the tests and the console (window.gradscope.distributions.heatmap). */
export interface HeatmapInfo {
  tensor: TensorName;
  binning: Binning;
  signs: Signs;
  /** L, the pixel rows' layer groups (perRow > 1: counts of perRow layers summed in a row), and the columns. */
  layers: number;
  rows: number;
  layersPerRow: number;
  /** Exponents (or linear bins) summed in one column. */
  binsPerColumn: number;
  /** The exponents shown (magnitude), or null. */
  range: ExponentRange | null;
  /** The largest count of a cell (the top of the colour bar). */
  maxCount: number;
  /** The plot area. */
  plot: Rect;
  /** Every column: what it counts and where it is drawn (CSS px from the canvas's left). */
  columns: { cell: Cell; x0: number; x1: number }[];
}

/** What is under the cursor, in the heatmap or a small multiple. */
export interface HistHover {
  where: 'heatmap' | 'multiples';
  tensor: TensorName;
  binning: Binning;
  /** The first and last layer counted (one layer unless a heatmap row holds several). */
  layers: [number, number];
  cell: Cell;
  /** Entries of the tensor in the cell, summed over the layers. */
  count: number;
  /** Entries of the tensor in those layers (Stats.count), the count's denominator. */
  values: number;
  /** The text shown: layer(s), the bin's range and the count. */
  text: string;
}

/** Margins around the plot, CSS px: layer ticks left, bin ticks below, the colour bar right. */
const MARGIN = { left: 56, right: 96, top: 22, bottom: 48 } as const;
/** The plot's height: 10 px a layer, within these bounds. */
const PLOT_HEIGHT = { perLayer: 10, min: 160, max: 400 } as const;
const WHITE: Rgb = [255, 255, 255];
/** A row whose layers have nothing to count (no linear bins); the gaps between groups of columns. */
const NO_DATA: Rgb = [213, 217, 224];
const GAP: Rgb = [236, 238, 243];
const FONT = '11px system-ui, sans-serif';
const INK = '#1d2330', MUTED = '#4a5470', FRAME = '#b9bfcc';

/** Everything one drawing computed, kept for hovering. */
interface Drawn {
  view: HistogramView;
  axis: BinAxis;
  layout: ColumnLayout;
  groups: RowGroups;
  matrix: CountMatrix;
  plot: Rect;
}

/** "layer 12" or "layers 26–50 (25 layers, counts summed)". */
export function layersText(first: number, last: number): string {
  return first === last ? `layer ${first}` : `layers ${first}–${last} (${last - first + 1} layers, counts summed)`;
}

/** "count 57 of 8192 (0.70%)". */
export function countText(count: number, values: number): string {
  const share = values > 0 ? ` (${Number((100 * count / values).toPrecision(3))}%)` : '';
  return `count ${formatNumber(count)} of ${formatNumber(values)}${share}`;
}

/**
 * Draw the ticks under an axis at height `axisY` (a 4 px mark) with their labels' baseline at `labelY`, leaving out a
 * label that would overlap the previous one drawn (in order of position).
 */
export function drawTicks(ctx: CanvasRenderingContext2D, ticks: readonly Tick[], x0: number, axisY: number, labelY: number): void {
  let right = -Infinity;
  for (const t of [...ticks].sort((a, b) => a.at - b.at)) {
    const w = ctx.measureText(t.label).width;
    if (x0 + t.at - w / 2 < right + 4) continue;
    ctx.fillText(t.label, x0 + t.at, labelY);
    ctx.beginPath();
    ctx.moveTo(x0 + t.at, axisY);
    ctx.lineTo(x0 + t.at, axisY + 4);
    ctx.stroke();
    right = x0 + t.at + w / 2;
  }
}

/** Place `tip` (absolutely positioned in its box) near the point (x, y) of the box, inside it. */
export function placeTip(tip: HTMLElement, text: string, x: number, y: number): void {
  tip.textContent = text;
  tip.hidden = false;
  const box = tip.parentElement!;
  const w = tip.offsetWidth, h = tip.offsetHeight;
  const left = x + 14 + w > box.clientWidth ? Math.max(0, x - 14 - w) : x + 14;
  const top = y + 14 + h > box.clientHeight ? Math.max(0, y - 14 - h) : y + 14;
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

/** The axis title under a plot of `view` with columns `axis`. */
export function axisTitle(view: HistogramView, axis: BinAxis): string {
  const grouped = axis.binsPerCell > 1 ? ` · ${axis.binsPerCell} ${view.binning === 'magnitude' ? 'powers of two' : 'bins'} per column (summed)` : '';
  if (view.binning === 'linear') return `position within the layer's range [min, max]: 64 bins, each layer its own range${grouped}`;
  const signs = view.signs === 'abs' ? 'both signs together (|x|)' : view.negatives ? 'negative values mirrored left of 0' : 'no negative values in any layer';
  const ext = view.extended ? ' · extended range: placed by true exponent (stored + the layer\'s shift)' : '';
  return `x by power of two, bins [2^e, 2^(e+1)), ${signs}${ext}${grouped}`;
}

/** The linear axis' ticks: min, the quarters, max of each layer's range. */
export function linearTicks(layout: ColumnLayout, width: number): Tick[] {
  const n = layout.x0.length;
  return [{ at: 0, label: 'min' }, ...[0.25, 0.5, 0.75].map((f) => ({ at: f * (n > 0 ? layout.x1[n - 1] : width), label: `${f * 100}%` })),
    { at: n > 0 ? layout.x1[n - 1] : width, label: 'max' }];
}

/** The heatmap of one tensor on a canvas, with its hover text (see the module's comment). */
export class Heatmap {
  private drawn: Drawn | null = null;

  /**
   * @param canvas where it draws (its parent's width is the heatmap's width)
   * @param tip an absolutely positioned element in the canvas's parent, for the hover text
   * @param onHover told what is under the cursor (null when nothing is)
   */
  constructor(private readonly canvas: HTMLCanvasElement, private readonly tip: HTMLElement, private readonly onHover: (h: HistHover | null) => void) {
    canvas.addEventListener('mousemove', (e) => {
      const h = this.hoverAt(e.offsetX, e.offsetY);
      if (h) placeTip(this.tip, h.text, e.offsetX, e.offsetY);
      else this.tip.hidden = true;
      this.onHover(h);
    });
    canvas.addEventListener('mouseleave', () => {
      this.tip.hidden = true;
      this.onHover(null);
    });
  }

  /** Draw `view` (null: clear), at the parent's width and the device's pixel ratio. */
  show(view: HistogramView | null): void {
    this.tip.hidden = true;
    if (!view) {
      this.drawn = null;
      this.canvas.width = 0;
      this.canvas.height = 0;
      return;
    }
    const dpr = window.devicePixelRatio || 1;
    const cssW = Math.max(MARGIN.left + MARGIN.right + 120, this.canvas.parentElement?.clientWidth ?? 600);
    const L = view.layers.length;
    const plotH = Math.min(PLOT_HEIGHT.max, Math.max(PLOT_HEIGHT.min, L * PLOT_HEIGHT.perLayer));
    const cssH = MARGIN.top + plotH + MARGIN.bottom;
    const plot: Rect = { left: MARGIN.left, top: MARGIN.top, width: cssW - MARGIN.left - MARGIN.right, height: plotH };
    this.canvas.style.width = `${cssW}px`;
    this.canvas.style.height = `${cssH}px`;
    this.canvas.width = Math.round(cssW * dpr);
    this.canvas.height = Math.round(cssH * dpr);

    const axis = view.binning === 'magnitude' ? magnitudeAxis(view.range, view.signs, magnitudeBudget(plot.width, dpr), view.negatives)
      : linearAxis(Math.floor(plot.width * dpr));
    const layout = layoutColumns(axis, plot.width);
    const pw = Math.round(plot.width * dpr), ph = Math.round(plot.height * dpr);
    const groups = rowGroups(L, ph);
    const matrix = countMatrix(view.layers.map((l) => l.histograms?.[view.tensor]), groups, axis);
    this.drawn = { view, axis, layout, groups, matrix, plot };

    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.putImageData(this.pixels(ctx, pw, ph, dpr), Math.round(plot.left * dpr), Math.round(plot.top * dpr));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.drawAxes(ctx, this.drawn);
    this.canvas.setAttribute('aria-label', `Heatmap of ${view.tensor}[l]: ${L} layers (${groups.perRow} per row), `
      + `${axis.cells.length} columns, counts up to ${matrix.max}. ${axisTitle(view, axis)}.`);
  }

  /** What is drawn (see HeatmapInfo), or null. */
  info(): HeatmapInfo | null {
    const d = this.drawn;
    if (!d) return null;
    return {
      tensor: d.view.tensor, binning: d.view.binning, signs: d.view.signs, layers: d.groups.layers, rows: d.groups.rows,
      layersPerRow: d.groups.perRow, binsPerColumn: d.axis.binsPerCell, range: d.axis.range, maxCount: d.matrix.max, plot: { ...d.plot },
      columns: d.axis.cells.map((cell, i) => ({ cell, x0: d.plot.left + d.layout.x0[i], x1: d.plot.left + d.layout.x1[i] })),
    };
  }

  /**
   * The counts of row `row` (0-based, top to bottom), one per column as drawn (HeatmapInfo.columns), or null for no such
   * row: the numbers the colours are made of, for the tests.
   */
  rowCounts(row: number): number[] | null {
    const d = this.drawn;
    if (!d || !Number.isInteger(row) || row < 0 || row >= d.matrix.rows) return null;
    return Array.from(d.matrix.counts.subarray(row * d.matrix.cols, (row + 1) * d.matrix.cols));
  }

  /** What is at (x, y), CSS px from the canvas's top-left corner: layers, cell and count; null outside the cells. */
  hoverAt(x: number, y: number): HistHover | null {
    const d = this.drawn;
    if (!d) return null;
    const px = x - d.plot.left, py = y - d.plot.top;
    if (px < 0 || py < 0 || px >= d.plot.width || py >= d.plot.height) return null;
    const i = cellAt(d.layout, px);
    if (i < 0) return null;
    const row = Math.min(d.groups.rows - 1, Math.floor((py * d.groups.rows) / d.plot.height));
    const [first, last] = rowLayers(d.groups, row);
    const cell = d.axis.cells[i];
    const count = d.matrix.counts[row * d.matrix.cols + i];
    let values = 0;
    for (let l = first; l <= last; l++) values += d.view.layers[l - 1][d.view.tensor].count;
    const missing = d.matrix.missing[row];
    const h = first === last ? d.view.layers[first - 1].histograms?.[d.view.tensor] : undefined;
    const none = missing > 0 ? ` · ${missing === last - first + 1 ? 'no' : `${missing} layers without`} ${d.view.binning === 'linear' ? 'linear bins (min or max not finite)' : 'histograms'}` : '';
    const text = `${d.view.tensor}[l], ${layersText(first, last)} · ${cellText(cell, h)} · ${countText(count, values)}${none}`;
    return { where: 'heatmap', tensor: d.view.tensor, binning: d.view.binning, layers: [first, last], cell, count, values, text };
  }

  /** The plot's pixels: each device pixel takes the colour of its row's and column's count. */
  private pixels(ctx: CanvasRenderingContext2D, pw: number, ph: number, dpr: number): ImageData {
    const { matrix, layout, groups } = this.drawn!;
    const colours = new Uint8ClampedArray(matrix.counts.length * 3);
    for (let r = 0; r < matrix.rows; r++) {
      const [first, last] = rowLayers(groups, r);
      const empty = matrix.missing[r] === last - first + 1;
      for (let c = 0; c < matrix.cols; c++) {
        const n = matrix.counts[r * matrix.cols + c];
        const rgb = empty ? NO_DATA : n > 0 ? viridis(countPosition(n, matrix.max)) : WHITE;
        colours.set(rgb, 3 * (r * matrix.cols + c));
      }
    }
    const colOf = new Int32Array(pw);
    for (let x = 0; x < pw; x++) colOf[x] = cellAt(layout, (x + 0.5) / dpr);
    const img = ctx.createImageData(pw, ph);
    const data = img.data;
    for (let y = 0; y < ph; y++) {
      const row = Math.min(matrix.rows - 1, Math.floor(((y + 0.5) * matrix.rows) / ph));
      for (let x = 0; x < pw; x++) {
        const c = colOf[x], o = 4 * (y * pw + x);
        if (c < 0) {
          data[o] = GAP[0]; data[o + 1] = GAP[1]; data[o + 2] = GAP[2];
        } else {
          const k = 3 * (row * matrix.cols + c);
          data[o] = colours[k]; data[o + 1] = colours[k + 1]; data[o + 2] = colours[k + 2];
        }
        data[o + 3] = 255;
      }
    }
    return img;
  }

  /** Frame, layer ticks, bin ticks, titles and the colour bar (CSS px). */
  private drawAxes(ctx: CanvasRenderingContext2D, d: Drawn): void {
    const { plot, view, axis, layout, groups, matrix } = d;
    const L = groups.layers;
    ctx.font = FONT;
    ctx.strokeStyle = FRAME;
    ctx.lineWidth = 1;
    ctx.strokeRect(plot.left - 0.5, plot.top - 0.5, plot.width + 1, plot.height + 1);
    // Title: the tensor and how rows are made.
    ctx.fillStyle = INK;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.font = `600 ${FONT}`;
    const rows = groups.perRow > 1 ? ` · ${groups.perRow} layers per pixel row (counts summed)` : '';
    ctx.fillText(`${view.tensor}[l]: count per layer and bin${rows}`, plot.left, plot.top - 8);
    ctx.font = FONT;
    // Layer ticks.
    ctx.fillStyle = MUTED;
    ctx.strokeStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const l of layerTicks(L, Math.max(2, Math.floor(plot.height / 40)))) {
      const y = plot.top + ((l - 0.5) / L) * plot.height;
      ctx.fillText(String(l), plot.left - 8, y);
      ctx.beginPath();
      ctx.moveTo(plot.left - 5, y);
      ctx.lineTo(plot.left - 1, y);
      ctx.stroke();
    }
    ctx.save();
    ctx.translate(12, plot.top + plot.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('layer l', 0, 0);
    ctx.restore();
    // Bin ticks and the axis title.
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    const ticks = view.binning === 'magnitude' ? magnitudeTicks(axis, layout, 36) : linearTicks(layout, plot.width);
    drawTicks(ctx, ticks, plot.left, plot.top + plot.height + 1, plot.top + plot.height + 19);
    ctx.textAlign = 'left';
    ctx.fillText(axisTitle(view, axis), plot.left, plot.top + plot.height + 38, plot.width + MARGIN.right - 8);
    this.drawColourBar(ctx, plot, matrix.max);
  }

  /** The colour bar right of the plot: counts 1 (bottom) to max (top) on a log scale, and white for 0 below it. */
  private drawColourBar(ctx: CanvasRenderingContext2D, plot: Rect, max: number): void {
    const x = plot.left + plot.width + 20, w = 12, top = plot.top + 10, h = plot.height - 36;
    for (let i = 0; i < h; i++) {
      const [r, g, b] = viridis(1 - (i + 0.5) / h);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x, top + i, w, 1.5);
    }
    ctx.strokeStyle = FRAME;
    ctx.strokeRect(x - 0.5, top - 0.5, w + 1, h + 1);
    ctx.fillStyle = '#fff';
    ctx.fillRect(x, top + h + 12, w, w);
    ctx.strokeRect(x - 0.5, top + h + 11.5, w + 1, w + 1);
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText('count', x - 4, plot.top - 8 + 2);
    ctx.fillText('0', x + w + 5, top + h + 12 + w / 2);
    const label = (c: number) => (c < 1e4 ? formatNumber(c) : `1e${Math.round(Math.log10(c))}`);
    const yOf = (c: number) => top + (1 - (max > 1 ? countPosition(c, max) : 0)) * h;
    const ticks = countTicks(max).filter((c) => yOf(c) - top > 12);
    for (const c of ticks) ctx.fillText(label(c), x + w + 5, yOf(c));
    ctx.fillText(formatNumber(max), x + w + 5, top);
  }
}

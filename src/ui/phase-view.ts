/**
 * The phase diagram in the GUI (issue 9 part 2): a heatmap of the measured growth rate of rms(dA) per layer over
 * (σ_w², σ_b²) — blue where gradients vanish toward the input (ordered), red where they explode (chaotic), grey where
 * no rate could be fitted — with the mean-field critical line χ₁ = 1 (solid white) and the measured zero crossings
 * (black dots) drawn over it. Plain canvas 2D; the layout helpers are pure so hover and tests share them.
 */
import { phaseHeatmap, type PhaseResult } from '../model/phase';

/** Margins of the plot inside the canvas, CSS pixels: left, right, top, bottom. */
const MARGIN = { left: 52, right: 12, top: 12, bottom: 40 } as const;

/** The plot rectangle of a canvas of `width` × `height` CSS pixels. */
function plotRect(width: number, height: number): { x: number; y: number; w: number; h: number } {
  return { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
}

/**
 * The grid cell under a point of the canvas (CSS pixels from its top-left corner), or null outside the plot.
 * Rows are drawn with σ_b² increasing upward.
 */
export function phaseCellAt(r: PhaseResult, width: number, height: number, px: number, py: number): { row: number; col: number } | null {
  const p = plotRect(width, height);
  const col = Math.floor(((px - p.x) / p.w) * r.sw2.length), fromTop = Math.floor(((py - p.y) / p.h) * r.sb2.length);
  if (col < 0 || col >= r.sw2.length || fromTop < 0 || fromTop >= r.sb2.length) return null;
  return { row: r.sb2.length - 1 - fromTop, col };
}

/** A colour for v in [−limit, limit]: white at 0, blue toward −limit, red toward +limit; grey for NaN. */
export function divergingColour(v: number, limit: number): string {
  if (!Number.isFinite(v)) return '#bbb';
  const t = limit > 0 ? Math.max(-1, Math.min(1, v / limit)) : 0;
  const fade = (c: number) => Math.round(255 - (255 - c) * Math.abs(t));
  return t < 0 ? `rgb(${fade(33)},${fade(102)},${fade(172)})` : `rgb(${fade(178)},${fade(24)},${fade(43)})`;
}

/**
 * Draw `r` on `canvas` (sized to its CSS box times devicePixelRatio): cells, axes with σ_w² (x) and σ_b² (y) at the
 * ends and middle, the theory's critical line and the measured crossings. The colour scale is symmetric about 0,
 * saturating at the largest |growth| or 0.25 per layer, whichever is smaller.
 */
export function drawPhase(canvas: HTMLCanvasElement, r: PhaseResult): void {
  const width = canvas.clientWidth || 480, height = canvas.clientHeight || 360, dpr = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const map = phaseHeatmap(r, 'growth');
  const limit = Math.min(map.limit, 0.25);
  const p = plotRect(width, height), cw = p.w / r.sw2.length, ch = p.h / r.sb2.length;
  map.z.forEach((row, i) => row.forEach((v, j) => {
    ctx.fillStyle = divergingColour(v, limit);
    ctx.fillRect(p.x + j * cw, p.y + (r.sb2.length - 1 - i) * ch, Math.ceil(cw), Math.ceil(ch));
  }));
  // Data coordinates → pixels (cell centres).
  const span = (a: number[]) => (a.length > 1 ? a[a.length - 1] - a[0] : 1);
  const X = (sw2: number) => p.x + cw / 2 + ((sw2 - r.sw2[0]) / span(r.sw2)) * (p.w - cw);
  const Y = (sb2: number) => p.y + p.h - ch / 2 - ((sb2 - r.sb2[0]) / span(r.sb2)) * (p.h - ch);
  const inside = (sw2: number) => sw2 >= r.sw2[0] && sw2 <= r.sw2[r.sw2.length - 1];
  const theory = map.critical.theory.filter((c) => inside(c.sw2));
  for (const [colour, w] of [['#000', 4], ['#fff', 2]] as const) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = w;
    ctx.beginPath();
    theory.forEach((c, k) => (k === 0 ? ctx.moveTo(X(c.sw2), Y(c.sb2)) : ctx.lineTo(X(c.sw2), Y(c.sb2))));
    ctx.stroke();
  }
  ctx.fillStyle = '#000';
  for (const c of map.critical.measured) {
    ctx.beginPath();
    ctx.arc(X(c.sw2), Y(c.sb2), 3, 0, 2 * Math.PI);
    ctx.fill();
  }
  // Axes.
  ctx.strokeStyle = '#444';
  ctx.lineWidth = 1;
  ctx.strokeRect(p.x, p.y, p.w, p.h);
  ctx.fillStyle = '#222';
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const ends = (a: number[]) => [...new Set([0, Math.floor((a.length - 1) / 2), a.length - 1])];
  for (const j of ends(r.sw2)) ctx.fillText(String(+r.sw2[j].toFixed(3)), X(r.sw2[j]), p.y + p.h + 4);
  ctx.fillText('σ_w²', p.x + p.w / 2, p.y + p.h + 20);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const i of ends(r.sb2)) ctx.fillText(String(+r.sb2[i].toFixed(3)), p.x - 4, Y(r.sb2[i]));
  ctx.save();
  ctx.translate(12, p.y + p.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('σ_b²', 0, 0);
  ctx.restore();
}

/** The hover text of a cell: its variances, the measured growth and the theory's ½ ln χ₁ (per layer). */
export function phaseCellText(r: PhaseResult, row: number, col: number): string {
  const g = r.growth[row][col];
  const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? 'not fitted' : v.toFixed(4));
  return `σ_w² = ${+r.sw2[col].toFixed(4)}, σ_b² = ${+r.sb2[row].toFixed(4)}: growth of rms(dA) ${fmt(g)} per layer `
    + `(theory ½ ln χ₁ = ${fmt(r.growthTheory[row][col])}); critical σ_w² measured ${fmt(r.criticalMeasured[row])}, theory ${fmt(r.criticalTheory[row])}; `
    + 'click to open this network';
}

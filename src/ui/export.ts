/**
 * Exports of what the page shows: files the browser downloads (JSON and CSV of the current result, in the CLI's
 * formats; a PNG of one chart or of the whole view; the PyTorch experiment as a zip) and the page's link on the clipboard.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';
import type { RunConfig } from '../model/config';
import { torchExportFiles } from '../session/export-torch';

/** Let the browser download `blob` as `filename` (an <a download> clicked; the object URL is released afterwards). */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name for exports of `cfg`, without extension: "gradscope-relu-he-L50", "gradscope-custom-L200". */
export function fileStem(cfg: RunConfig): string {
  return `gradscope-${cfg.preset}-L${cfg.depth}`;
}

/** The PNG of `canvas`. @throws Error if the browser cannot encode it. */
function toPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
}

/** A canvas of `width` × `height` device pixels filled with white (charts are drawn on a transparent canvas). */
function whiteCanvas(width: number, height: number): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  return { canvas, ctx };
}

/** A PNG of one chart, on white, at the canvas's resolution. */
export function chartPng(chart: HTMLCanvasElement): Promise<Blob> {
  const { canvas, ctx } = whiteCanvas(chart.width, chart.height);
  ctx.drawImage(chart, 0, 0);
  return toPng(canvas);
}

/** `text` broken into lines of at most `width` pixels in ctx's font. */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if (line !== '' && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * A PNG of the whole view: the lines of `text` (the summary line, the growth readout) above the charts, each chart
 * where it is on the page (so the picture has the page's layout at any width), on white, at the screen's resolution.
 * @param area the element holding the charts (their positions are taken relative to it)
 */
export function viewPng(area: HTMLElement, charts: readonly HTMLCanvasElement[], text: readonly string[]): Promise<Blob> {
  const box = area.getBoundingClientRect();
  const scale = charts.length > 0 && charts[0].clientWidth > 0 ? charts[0].width / charts[0].clientWidth : window.devicePixelRatio;
  const margin = Math.round(12 * scale), lineHeight = Math.round(18 * scale);
  const width = Math.round(box.width * scale) + 2 * margin;
  const measure = document.createElement('canvas').getContext('2d')!;
  const font = `${Math.round(13 * scale)}px system-ui, sans-serif`;
  measure.font = font;
  const lines = text.flatMap((t) => wrap(measure, t, width - 2 * margin));
  const top = margin + lines.length * lineHeight + margin;
  const { canvas, ctx } = whiteCanvas(width, top + Math.round(box.height * scale) + margin);
  ctx.font = font;
  ctx.fillStyle = '#1d2330';
  ctx.textBaseline = 'top';
  lines.forEach((line, i) => ctx.fillText(line, margin, margin + i * lineHeight));
  for (const chart of charts) {
    const r = chart.getBoundingClientRect();
    ctx.drawImage(chart, margin + Math.round((r.left - box.left) * scale), top + Math.round((r.top - box.top) * scale));
  }
  return toPng(canvas);
}

/**
 * Put `link` on the clipboard. @returns false where the browser refuses (no permission, or an insecure page), so
 * the caller can show the link to copy by hand.
 */
export async function copyText(link: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(link);
    return true;
  } catch {
    return false;
  }
}

/**
 * The PyTorch export of `cfg` (session/export-torch.ts: experiment.py, W<l>.bin, b<l>.bin, the batch, for training
 * the split and the minibatches, manifest.json) as a zip whose files sit in one folder named `folder`; experiment.py
 * is marked executable. The GUI's counterpart of the CLI's --export-torch DIR: unzip, then
 * `python3 <folder>/experiment.py --same-numbers --json r.json`.
 * @throws RangeError if the minibatch file would exceed its limit (session/export-torch.ts MAX_MINIBATCH_BYTES).
 */
export function torchZip(cfg: RunConfig, folder: string): Blob {
  const files: Zippable = {};
  for (const f of torchExportFiles(cfg, { commit: null, dirty: null })) {
    const data = typeof f.data === 'string' ? strToU8(f.data) : f.data;
    // Unix mode in the high 16 bits of the external attributes (os 3 = Unix): rwxr-xr-x for the script.
    files[`${folder}/${f.path}`] = [data, f.executable ? { os: 3, attrs: 0o100755 << 16 } : {}];
  }
  const zip = zipSync(files, { level: 6 });
  return new Blob([zip.buffer as ArrayBuffer], { type: 'application/zip' });
}

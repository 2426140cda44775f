/**
 * The CLI's text report of one run: a header (backend, adapter, configuration, loss J, step time, first
 * non-finite site) and one row per layer l with fan_in, fan_out and the rms of z, a, dA, dZ, W, dW and the
 * std of a and dW; with --theory a table of the predictions next to the measurement, with --seeds one of the
 * quantiles over the seeds.
 */
import type { RunConfig } from '../model/config';
import { widthsOf } from '../model/config';
import { effectiveGain, INIT_PARAMS } from '../model/init';
import type { LayerReport, RunResult, TensorSite } from '../model/result';
import type { StatName } from '../stats/stats';
import type { TensorName } from '../model/network';
import type { Theory } from '../model/theory';
import type { SeedsSummary } from '../stats/seeds';

/** Above this many layers only the first and last {@link EDGE_ROWS} rows are printed (unless --all-layers). */
export const MAX_FULL_ROWS = 60;
export const EDGE_ROWS = 20;

/** The statistics columns of a row: [stat, tensor]. */
const COLUMNS: readonly (readonly [StatName, TensorName])[] = [
  ['rms', 'z'], ['rms', 'a'], ['rms', 'dA'], ['rms', 'dZ'], ['rms', 'W'], ['rms', 'dW'], ['std', 'a'], ['std', 'dW'],
];
const NUM_WIDTH = 10;

/** A number in compact exponent form, 4 significant digits: 1.234e-5, 0.000e+0, NaN, Infinity, -Infinity. */
export function formatNumber(x: number): string {
  return Number.isFinite(x) ? x.toExponential(3) : String(x);
}

/** Widths n^[0..L] with runs collapsed: "64, 128×49, 10". */
export function formatWidths(widths: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < widths.length;) {
    let j = i;
    while (j < widths.length && widths[j] === widths[i]) j++;
    parts.push(j - i > 1 ? `${widths[i]}×${j - i}` : String(widths[i]));
    i = j;
  }
  return parts.join(', ');
}

/** The initialiser with the parameters it reads (INIT_PARAMS), e.g. "kaiming_normal(gain=1.414 default, mode=fan_in)". */
export function formatInit(cfg: RunConfig): string {
  const params = INIT_PARAMS[cfg.init].map((p) => {
    if (p !== 'gain') return `${p}=${cfg[p]}`;
    const gain = effectiveGain(cfg.init, cfg.gain, cfg.activation);
    return cfg.gain === null ? `gain=${+gain.toPrecision(4)} default` : `gain=${gain}`;
  });
  return params.length > 0 ? `${cfg.init}(${params.join(', ')})` : cfg.init;
}

function formatSite(site: TensorSite | null): string {
  return site ? `${site.tensor} of layer ${site.layer}` : 'none';
}

/** Header lines: backend and adapter; configuration; loss J, step time, first non-finite and first all-zero sites. */
export function formatHeader(r: RunResult): string[] {
  const c = r.config;
  return [
    `gradscope  backend ${r.backend}  adapter: ${r.adapter}  preset ${c.preset}`,
    `L=${c.depth}  widths n^[0..L] = ${formatWidths(widthsOf(c))}  m=${c.batch}  input ${c.input}  activation ${c.activation}`
      + `  init ${formatInit(c)}  bias ${c.bias}${c.biasStd > 0 ? ` ± ${c.biasStd} (normal)` : ''}  loss ${c.loss}  seed ${c.seed}`,
    `J = ${formatNumber(r.loss)}  step ${r.stepMs.toFixed(1)} ms  first non-finite: ${formatSite(r.firstNonFinite)}`
      + `  first all-zero: ${formatSite(r.firstAllZero)}`,
  ];
}

function row(cells: readonly string[], lWidth: number, fanWidth: number): string {
  const [l, fanIn, fanOut, ...nums] = cells;
  return [l.padStart(lWidth), fanIn.padStart(fanWidth), fanOut.padStart(fanWidth), ...nums.map((s) => s.padStart(NUM_WIDTH))].join(' ');
}

/** A fraction as a percentage with one decimal, or "–" when there is none (the output layer). */
const percent = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);

function layerCells(r: LayerReport, units: boolean): string[] {
  return [String(r.layer), String(r.fanIn), String(r.fanOut), ...COLUMNS.map(([stat, t]) => formatNumber(r[t][stat])),
    ...(units ? [percent(r.deadUnits), percent(r.saturatedUnits)] : [])];
}

/**
 * The whole report: header, column titles, one row per layer l = 1..L. For L > {@link MAX_FULL_ROWS} without
 * allLayers, the first and last {@link EDGE_ROWS} rows with an ellipsis line between them.
 * @returns text ending in a newline.
 */
export function formatReport(r: RunResult, opts: { allLayers: boolean }): string {
  const L = r.layers.length;
  const lWidth = Math.max(3, String(L).length);
  const fanWidth = Math.max(7, ...r.layers.map((x) => String(Math.max(x.fanIn, x.fanOut)).length));
  // With histograms: the dead (a^[l] all 0) and saturated (all |a| > 0.99) units of each hidden layer.
  const units = r.layers.some((l) => l.deadUnits !== undefined);
  const titles = ['l', 'fan_in', 'fan_out', ...COLUMNS.map(([stat, t]) => `${stat} ${t}`), ...(units ? ['dead', 'saturated'] : [])];
  const lines = [...formatHeader(r), '', row(titles, lWidth, fanWidth)];
  for (const layer of shownRows(r.layers, opts.allLayers)) lines.push(layer ? row(layerCells(layer, units), lWidth, fanWidth) : ellipsis(L, lWidth));
  return `${lines.join('\n')}\n`;
}

/** The rows shown: all, or for L > MAX_FULL_ROWS without allLayers the first and last EDGE_ROWS with null between. */
function shownRows<T>(rows: readonly T[], allLayers: boolean): (T | null)[] {
  const L = rows.length;
  return !allLayers && L > MAX_FULL_ROWS ? [...rows.slice(0, EDGE_ROWS), null, ...rows.slice(L - EDGE_ROWS)] : [...rows];
}

function ellipsis(L: number, lWidth: number): string {
  return `${'…'.padStart(lWidth)}  (${L - 2 * EDGE_ROWS} layers not shown; --all-layers prints them)`;
}

/** A row of numbers after the layer number; null cells print as "-". */
function numberRow(l: number, cells: readonly (number | null)[], lWidth: number): string {
  return [String(l).padStart(lWidth), ...cells.map((x) => (x === null ? '-' : formatNumber(x)).padStart(NUM_WIDTH))].join(' ');
}

/** The tensors of the --theory table: the forward signal, the backward one, and the weight gradient. */
const THEORY_TENSORS = ['a', 'dZ', 'dW'] as const;

/**
 * --theory: per layer, the measured rms of a, dZ and dW next to the mean-field rms and the ±2σ band over seeds
 * ("-" where there is none), and χ_l; or the note saying why there is no prediction.
 * @returns text ending in a newline.
 */
export function formatTheory(r: RunResult, theory: Theory, opts: { allLayers: boolean }): string {
  const lines = ['', 'theory: mean field (Poole et al. 2016; Schoenholz et al. 2017); median and ±2σ band over seeds at this width '
    + '(Hanin & Rolnick 2018); χ = E[dA^[l-1]²]/E[dA^[l]²]'];
  if (theory.layers === null) return `${[...lines, `  no prediction: ${theory.note}`].join('\n')}\n`;
  const L = r.layers.length, lWidth = Math.max(3, String(L).length);
  const titles = THEORY_TENSORS.flatMap((t) => [`rms ${t}`, `MF ${t}`, `low ${t}`, `high ${t}`]);
  lines.push([' l'.padStart(lWidth), ...[...titles, 'chi'].map((t) => t.padStart(NUM_WIDTH))].join(' '));
  const predicted = theory.layers;
  for (const layer of shownRows(r.layers, opts.allLayers)) {
    if (layer === null) { lines.push(ellipsis(L, lWidth)); continue; }
    const p = predicted[layer.layer - 1];
    const cells = THEORY_TENSORS.flatMap((t) => [layer[t].rms, p[t].rms, p[t].band?.[0] ?? null, p[t].band?.[1] ?? null]);
    lines.push(numberRow(layer.layer, [...cells, p.chi], lWidth));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * --seeds: per layer, the median and the 10% and 90% quantiles over the seeds of the rms of a, dZ and dW.
 * @returns text ending in a newline.
 */
export function formatSeeds(summary: SeedsSummary, opts: { allLayers: boolean }): string {
  const { seeds } = summary;
  const L = summary.layers.length, lWidth = Math.max(3, String(L).length);
  const range = seeds.length > 1 ? `${seeds[0]}..${seeds[seeds.length - 1]}` : String(seeds[0]);
  const lines = ['', `seeds: ${summary.count} runs (seeds ${range}): median and 10%, 90% quantiles of the rms`];
  lines.push([' l'.padStart(lWidth), ...THEORY_TENSORS.flatMap((t) => [`med ${t}`, `p10 ${t}`, `p90 ${t}`]).map((t) => t.padStart(NUM_WIDTH))].join(' '));
  for (const layer of shownRows(summary.layers, opts.allLayers)) {
    if (layer === null) { lines.push(ellipsis(L, lWidth)); continue; }
    lines.push(numberRow(layer.layer, THEORY_TENSORS.flatMap((t) => [layer[t].rms.median, layer[t].rms.p10, layer[t].rms.p90]), lWidth));
  }
  return `${lines.join('\n')}\n`;
}

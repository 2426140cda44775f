/**
 * `--plan`: the memory plan of a network on its backend, shown before (instead of) running it: bytes per kind of
 * tensor, the total against the budget, checkpointing, dispatches per step, where the weights are drawn, and an
 * estimated step time from the last measured cost per step unit on the adapter.
 */
import type { MemorySummary } from '../backends/backend';
import { widthsOf, type RunConfig } from '../model/config';
import type { Timing } from './timings';

/** Units of work in a step of L layers: L forward, the loss, L backward. */
export function stepUnits(depth: number): number {
  return 2 * depth + 1;
}

/**
 * Multiply-adds per step unit of `cfg`: the three products of every layer, 3·Σ_l n^[l]·n^[l-1]·m (z = W a, dW = dZ aᵀ,
 * dA = Wᵀ dZ), spread over the 2L + 1 units of a step.
 */
export function macsPerUnit(cfg: RunConfig): number {
  const n = widthsOf(cfg);
  let macs = 0;
  for (let l = 1; l < n.length; l++) macs += 3 * n[l] * n[l - 1] * cfg.batch;
  return macs / stepUnits(cfg.depth);
}

/** The least a step unit is assumed to cost (ms): a few dispatches; a network much smaller than the measured one. */
export const MIN_MS_PER_UNIT = 0.05;

/**
 * Estimated milliseconds per step unit of `cfg` from a measurement on the adapter: the measured cost per unit scaled
 * by the ratio of multiply-adds per unit (never below min(measured, MIN_MS_PER_UNIT)); the measured cost itself for a
 * measurement without its multiply-adds. A hint (a linear cost model from one point), not a promise.
 */
export function estimateMsPerUnit(cfg: RunConfig, timing: Timing): number {
  if (timing.macsPerUnit === undefined) return timing.msPerUnit;
  const scaled = timing.msPerUnit * macsPerUnit(cfg) / timing.macsPerUnit;
  return Math.max(scaled, Math.min(timing.msPerUnit, MIN_MS_PER_UNIT));
}

/**
 * Whether the estimate is only an upper bound: scaled up more than 4× from a smaller network, whose cost per unit
 * includes a fixed per-dispatch overhead that the linear scaling counts as work.
 */
export function upperBound(cfg: RunConfig, timing: Timing): boolean {
  return timing.macsPerUnit !== undefined && macsPerUnit(cfg) > 4 * timing.macsPerUnit;
}

/** Estimated milliseconds of one step of `cfg` (estimateMsPerUnit × 2L + 1 units), or null without a measurement. */
export function estimateStepMs(cfg: RunConfig, timing: Timing | null): number | null {
  return timing === null ? null : estimateMsPerUnit(cfg, timing) * stepUnits(cfg.depth);
}

/** Bytes in binary units, 3 significant digits: "512 B", "1.5 KiB", "24 MiB", "2.27 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes, u = 0;
  while (value >= 1024 && u < units.length - 1) { value /= 1024; u++; }
  return u === 0 ? `${bytes} B` : `${+value.toPrecision(3)} ${units[u]}`;
}

/** Milliseconds as a person reads them: "0.42 ms", "12.3 ms", "658 ms", "4.56 s", "3 min 05 s", "2 h 07 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms < 100 ? ms.toFixed(ms < 10 ? 2 : 1) : Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toPrecision(3)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} min`;
}

/** What the plan is of, and what is known of the adapter. */
export interface PlanContext {
  cfg: RunConfig;
  /** The backend that would run (after any fallback) and its adapter. */
  backend: string;
  adapter: string;
  /** The last measurement on this adapter, or null. */
  timing: Timing | null;
}

/**
 * The plan as text for the terminal: a header, a row per kind of tensor (name, bytes, pages, what it holds), the
 * total against the budget, then checkpoints, dispatches, weights and the estimated step time.
 * @returns lines ending in "\n".
 */
export function formatPlan(plan: MemorySummary, ctx: PlanContext): string {
  const { cfg, timing } = ctx;
  const nameWidth = Math.max(4, ...plan.kinds.map((k) => k.name.length));
  const bytesWidth = Math.max(5, ...plan.kinds.map((k) => formatBytes(k.bytes).length), formatBytes(plan.totalBytes).length);
  const row = (name: string, bytes: string, pages: string, what: string) =>
    `  ${name.padEnd(nameWidth)}  ${bytes.padStart(bytesWidth)}  ${pages.padStart(5)}  ${what}`;
  const percent = 100 * plan.totalBytes / plan.budgetBytes;
  const share = percent < 0.1 ? ' (< 0.1 %)' : ` (${percent.toFixed(1)} %)`;
  const estimate = estimateStepMs(cfg, timing);
  const lines = [
    `gradscope plan  backend ${ctx.backend}  adapter: ${ctx.adapter}`,
    `L=${cfg.depth}  n=${cfg.width}  m=${cfg.batch}  range ${cfg.range}  (nothing was run)`,
    '',
    row('kind', 'bytes', 'pages', 'what it holds'),
    ...plan.kinds.map((k) => row(k.name, formatBytes(k.bytes), String(k.pages), k.description)),
    row('total', formatBytes(plan.totalBytes), '', `of the budget ${formatBytes(plan.budgetBytes)} (--memory ${cfg.memory})${share}`),
    '',
    plan.checkpointEvery === null
      ? 'activations: all kept'
      : `activations: recomputed from checkpoints every ${plan.checkpointEvery} layers`,
    `dispatches per step: ${plan.dispatchesPerStep.toLocaleString('en-US')}`,
    `weights: drawn on the ${plan.hostInit ? 'host' : 'device'}${plan.hostInit && cfg.init === 'orthogonal' ? ' (orthogonal: a QR per layer)' : ''}`,
    estimate === null || timing === null
      ? 'estimated step time: no measurement on this adapter yet (run once to measure)'
      : `estimated step time: ${upperBound(cfg, timing) ? 'at most ' : ''}${formatDuration(estimate)} (${estimateMsPerUnit(cfg, timing).toPrecision(3)} ms per unit × ${stepUnits(cfg.depth)} units = 2L + 1, `
        + `from ${timing.msPerUnit.toPrecision(3)} ms per unit measured ${timing.measuredAt} on this adapter`
        + `${timing.macsPerUnit === undefined ? '' : `, scaled by multiply-adds per unit ${formatCount(macsPerUnit(cfg))} / ${formatCount(timing.macsPerUnit)}`})`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The plan as JSON text for --json: { plan: MemorySummary, estimatedStepMs: number | null }. */
export function planJson(plan: MemorySummary, estimatedStepMs: number | null): string {
  return `${JSON.stringify({ plan, estimatedStepMs }, null, 2)}\n`;
}

/** A count with 3 significant digits: "512", "1.23e+6". */
function formatCount(x: number): string {
  return x < 1e4 ? String(Math.round(x)) : x.toPrecision(3);
}

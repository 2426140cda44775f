/**
 * The result of one step (forward, loss, backward, statistics), and its stable JSON form
 * (README "JSON output"): the CLI writes it with --json and the GUI exposes it as window.gradscope.lastResult.
 */
import type { RunConfig } from './config';
import type { TensorName } from './network';
import { TENSOR_NAMES } from './network';
import { hasNonFinite, type Stats } from '../stats/stats';
import { MAGNITUDE_EDGES, type Histogram } from '../stats/histogram';

/** Statistics of one layer l = 1..L. */
export interface LayerReport {
  layer: number;
  /** n^[l-1] */
  fanIn: number;
  /** n^[l] */
  fanOut: number;
  z: Stats;
  a: Stats;
  dA: Stats;
  dZ: Stats;
  W: Stats;
  dW: Stats;
  /** With histograms asked (MemoryOptions.histograms): the histograms of each tensor (stats/histogram.ts). */
  histograms?: Record<TensorName, Histogram>;
  /**
   * With histograms asked, hidden layers (l < L): the fraction of units of a^[l] that are ±0 for every example of
   * the batch (dead ReLUs), and that have |a| > 0.99 for every example (saturated; meaningful for tanh).
   */
  deadUnits?: number;
  saturatedUnits?: number;
}

/** What a backend returns from one step. */
export interface StepResult {
  /** J, averaged over the batch. */
  loss: number;
  /** layers[l-1] for layer l. */
  layers: LayerReport[];
}

/** A tensor of one layer, e.g. where a NaN first appeared. */
export interface TensorSite {
  tensor: TensorName;
  layer: number;
}

export interface RunResult extends StepResult {
  config: RunConfig;
  backend: 'webgpu' | 'cpu';
  /** Adapter description, e.g. "google swiftshader" or "cpu (float64 reference)". */
  adapter: string;
  firstNonFinite: TensorSite | null;
  /** The first tensor (W excluded) whose every element is ±0, e.g. float32 underflow of a vanishing signal. */
  firstAllZero: TensorSite | null;
  /** Wall-clock milliseconds of the step (submit to statistics read back). */
  stepMs: number;
}

/** The order in which a step computes its tensors: forward l = 1..L (W, z, a), then backward l = L..1 (dA, dZ, dW). */
function* computationOrder(layers: readonly LayerReport[]): Generator<TensorSite & { stats: Stats }> {
  for (const r of layers) {
    for (const t of ['W', 'z', 'a'] as const) yield { tensor: t, layer: r.layer, stats: r[t] };
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    for (const t of ['dA', 'dZ', 'dW'] as const) yield { tensor: t, layer: layers[i].layer, stats: layers[i][t] };
  }
}

/** The first tensor in computation order (forward l = 1..L: W, z, a; backward l = L..1: dA, dZ, dW) that passes `test`. */
function findFirst(layers: readonly LayerReport[], test: (s: Stats, t: TensorName) => boolean): TensorSite | null {
  for (const site of computationOrder(layers)) if (test(site.stats, site.tensor)) return { tensor: site.tensor, layer: site.layer };
  return null;
}

/**
 * First tensor holding a NaN or ±Infinity, in the order the step computes them:
 * forward l = 1..L (W, z, a), then backward l = L..1 (dA, dZ, dW). null if every value is finite.
 */
export function findFirstNonFinite(layers: readonly LayerReport[]): TensorSite | null {
  return findFirst(layers, hasNonFinite);
}

/**
 * First tensor other than W whose every element is ±0, in the same order: where a vanishing signal underflowed
 * float32 (or ReLU units all died). null if none. W is excluded: all-zero weights are the user's init choice.
 */
export function findFirstAllZero(layers: readonly LayerReport[]): TensorSite | null {
  return findFirst(layers, (s, t) => t !== 'W' && s.zeroFraction === 1);
}

/** JSON form of a number (a JSON.stringify replacer): non-finite numbers become the strings "NaN", "Infinity", "-Infinity". */
export function jsonNumber(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

/** Optional parts of the JSON document (CLI --theory, --seeds). */
export interface JsonExtras {
  /** Fields appended to layer l's object, e.g. { predicted } (--theory). */
  layer?: (l: number) => Record<string, unknown>;
  /** Fields appended at the top level after "layers", e.g. { theoryNote } (--theory), { seeds } (--seeds). */
  top?: Record<string, unknown>;
}

/**
 * The histograms part of a run's JSON, or undefined when the run has none:
 * { magnitudeEdges: [log2 edges], layers: [{ layer, <tensor>: { magnitude: { positive, negative, zero, subnormal, inf,
 * nan }, shift, linear: { edges, counts } | null } }] }.
 */
export function histogramsJson(layers: readonly LayerReport[]): unknown {
  if (!layers.every((l) => l.histograms)) return undefined;
  return {
    magnitudeEdges: MAGNITUDE_EDGES,
    layers: layers.map((l) => ({ layer: l.layer, ...l.histograms })),
  };
}

/**
 * The stable JSON document of a run (format in README "JSON output"):
 * { config, backend, adapter, loss, firstNonFinite, firstAllZero, stepMs, layers: [{layer, fanIn, fanOut, z, a, dA, dZ, W, dW,
 * [deadUnits, saturatedUnits]}], [histograms] } (the bracketed parts with histograms), with the fields of `extras`
 * appended (each layer's, then the document's).
 */
export function toJson(r: RunResult, extras: JsonExtras = {}): string {
  const doc = {
    config: r.config,
    backend: r.backend,
    adapter: r.adapter,
    loss: r.loss,
    firstNonFinite: r.firstNonFinite,
    firstAllZero: r.firstAllZero,
    stepMs: r.stepMs,
    layers: r.layers.map((l) => {
      const out: Record<string, unknown> = { layer: l.layer, fanIn: l.fanIn, fanOut: l.fanOut };
      for (const t of TENSOR_NAMES) out[t] = l[t];
      if (l.deadUnits !== undefined) out.deadUnits = l.deadUnits;
      if (l.saturatedUnits !== undefined) out.saturatedUnits = l.saturatedUnits;
      return { ...out, ...extras.layer?.(l.layer) };
    }),
    histograms: histogramsJson(r.layers),
    ...extras.top,
  };
  return JSON.stringify(doc, jsonNumber, 1);
}

/** Inverse of the non-finite encoding of {@link toJson}, for readers of the JSON document. */
export function parseJsonNumber(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new TypeError(`not a JSON number: ${v}`);
}

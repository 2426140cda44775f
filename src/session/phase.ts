/**
 * One phase diagram (model/phase.ts): config + grid → the networks → the backend's engine (the batched WebGPU engine,
 * or the float64 reference on the CPU backend) → fits and mean-field theory → PhaseResult (the CLI's --json "phase").
 */
import type { Backend, RunControl } from '../backends/backend';
import { runPhaseCpu } from '../backends/cpu/phase';
import { runPhaseGpu } from '../backends/webgpu/phase';
import { WebGpuBackend } from '../backends/webgpu/webgpu-backend';
import { ConfigError, type RunConfig } from '../model/config';
import {
  correlationRate, gridValues, growthRate, zeroCrossing, type PhaseMeasurement, type PhaseNetwork, type PhaseOptions, type PhaseResult, type PhaseSpec,
} from '../model/phase';
import { phaseTheory } from '../model/phase-theory';

/**
 * The networks of a grid, row-major over [σ_b² row][σ_w² column] (index p = row·cols + col): depth, width, batch and
 * activation from the config; seed cfg.seed for every point (draws shared), or cfg.seed + p mod 2^32 (independent).
 * @throws ConfigError (batch) when m < 2: the correlation needs a pair of inputs.
 */
export function phaseSpec(cfg: RunConfig, options: PhaseOptions): PhaseSpec {
  if (cfg.batch < 2) throw new ConfigError('batch', 'must be an integer in 2..65536 for --phase (the correlation is measured on pairs of inputs)', cfg.batch);
  const sw2 = gridValues(options.sw2[0], options.sw2[1], options.cols), sb2 = gridValues(options.sb2[0], options.sb2[1], options.rows);
  const networks: PhaseNetwork[] = [];
  sb2.forEach((b, row) => sw2.forEach((w, col) => {
    const p = row * options.cols + col;
    networks.push({ sw2: w, sb2: b, seed: options.draws === 'shared' ? cfg.seed : (cfg.seed + p) % 2 ** 32 });
  }));
  return { activation: cfg.activation, depth: cfg.depth, width: cfg.width, batch: cfg.batch, networks };
}

/**
 * Measure a phase diagram on `backend` (WebGPU: batched on its device within the config's memory budget; CPU: the
 * float64 reference), fit each point and add the theory.
 * @throws ConfigError (batch < 2), LimitError (before allocation), CancelledError, GpuError.
 */
export async function runPhase(cfg: RunConfig, options: PhaseOptions, backend: Backend, control: RunControl = {}): Promise<PhaseResult> {
  const spec = phaseSpec(cfg, options);
  const t0 = performance.now();
  const measured: PhaseMeasurement = backend instanceof WebGpuBackend
    ? await runPhaseGpu(backend.device, backend.cache, spec, cfg.memory * 2 ** 20, control)
    : await runPhaseCpu(spec, control);
  const ms = performance.now() - t0;
  const sw2 = gridValues(options.sw2[0], options.sw2[1], options.cols), sb2 = gridValues(options.sb2[0], options.sb2[1], options.rows);
  const series = sb2.map((_, row) => sw2.map((_w, col) => measured.series[row * options.cols + col]));
  const growth = series.map((row) => row.map((s) => growthRate(s.lnRmsDA)));
  const theory = phaseTheory(cfg.activation, sw2, sb2);
  return {
    activation: cfg.activation, depth: cfg.depth, width: cfg.width, batch: cfg.batch, seed: cfg.seed, draws: options.draws,
    sw2, sb2, growth,
    correlationGrowth: series.map((row) => row.map((s) => correlationRate(s.oneMinusC))),
    criticalMeasured: growth.map((row) => zeroCrossing(sw2, row)),
    criticalTheory: theory.critical,
    depthScale: theory.depthScale, chi1: theory.chi1, qStar: theory.qStar, growthTheory: theory.growth,
    series, backend: backend.name, adapter: backend.adapter, ms,
    networksPerDispatch: measured.networksPerDispatch, chunks: measured.chunks,
  };
}

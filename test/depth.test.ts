/**
 * Depth as an interactive dimension (issue "Interactive at any depth"): a step as segments submitted in chunks gives
 * the same statistics as one submit; transient gradients in rings and activations recomputed from checkpoints give
 * the same statistics as keeping every tensor; cancel leaves the engine usable; a newer request supersedes an older
 * one; the build makes bind groups per kernel, not per layer; the plan refuses with numbers; every registry entry
 * runs on both backends.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, type Progress } from '../src/backends/backend';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { resolveConfig, type RawConfig } from '../src/model/config';
import { ACTIVATIONS, LOSSES, TENSOR_NAMES } from '../src/model/network';
import type { RunResult } from '../src/model/result';
import { memoryOf, shapeOf } from '../src/session/problem';
import { runStep } from '../src/session/run';
import { Session } from '../src/session/session';
import { STAT_NAMES } from '../src/stats/stats';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { TEST_SEED } from './helpers/seed';

afterAll(releaseGpu);

/** A tanh network deep enough for several statistics groups, checkpoint segments and chunks. */
const DEEP: RawConfig = { depth: 40, width: 17, batch: 5, input: 'gaussian', inputDim: 9, outputDim: 3, activation: 'tanh', init: 'xavier_normal', loss: 'softmax-xent', seed: TEST_SEED };

/** Every statistic of every layer, and the loss, as one comparable value. */
const statsOf = (r: RunResult) => JSON.stringify([r.loss, r.layers]);

describe('segments, rings and checkpoints compute the same step', () => {
  it('one submit per unit and one submit for the whole step give identical statistics', async () => {
    const gpu = await gpuBackend();
    const cfg = resolveConfig(DEEP);
    try {
      gpu.fixedChunk = 1;
      const many = await runStep(cfg, gpu);
      expect(gpu.lastSubmits).toBe(gpu.loaded!.units.length);
      gpu.fixedChunk = Infinity;
      const one = await runStep(cfg, gpu);
      expect(gpu.lastSubmits).toBe(1);
      expect(statsOf(one)).toBe(statsOf(many));
    } finally {
      gpu.fixedChunk = null;
    }
  });

  it('transient gradients in rings give the statistics of keeping every tensor', async () => {
    const gpu = await gpuBackend();
    const cfg = resolveConfig(DEEP);
    const ring = await runStep(cfg, gpu);
    expect(gpu.loaded!.plan.R).toBeLessThan(cfg.depth); // the gradients really are in a ring
    const kept = await runStep(cfg, gpu, {}, { keepAll: true });
    expect(gpu.loaded!.plan.R).toBe(cfg.depth + 1);
    expect(statsOf(ring)).toBe(statsOf(kept));
  });

  it('activations recomputed from checkpoints every √L layers give the statistics of storing them all', async () => {
    const gpu = await gpuBackend();
    const cfg = resolveConfig(DEEP);
    const stored = await runStep(cfg, gpu);
    expect(gpu.loaded!.plan.s).toBe(cfg.depth);
    const recomputed = await runStep(cfg, gpu, {}, { checkpoint: 'always' });
    expect(gpu.loaded!.plan.s).toBe(Math.ceil(Math.sqrt(cfg.depth)));
    expect(statsOf(recomputed)).toBe(statsOf(stored));
    // …and both agree with the float64 reference.
    const cpu = await runStep(cfg, new CpuBackend());
    for (const [i, layer] of cpu.layers.entries()) {
      for (const t of TENSOR_NAMES) expect(Math.abs(recomputed.layers[i][t].rms - layer[t].rms)).toBeLessThanOrEqual(1e-4 * layer[t].rms);
    }
  });

  it('a budget too small for every activation plans checkpoints; one too small for the weights is refused with numbers', async () => {
    const gpu = await gpuBackend();
    const cfg = resolveConfig({ depth: 400, width: 64, batch: 64, input: 'gaussian', inputDim: 64, loss: 'sum' });
    const roomy = gpu.plan(shapeOf(cfg), memoryOf(cfg));
    expect(roomy.checkpointEvery).toBeNull();
    const tight = gpu.plan(shapeOf(cfg), { ...memoryOf(cfg), budgetBytes: roomy.totalBytes - 1 });
    expect(tight.checkpointEvery).toBe(20);
    expect(tight.totalBytes).toBeLessThan(roomy.totalBytes);
    const W = roomy.kinds.find((k) => k.name === 'W')!.bytes;
    expect(() => gpu.plan(shapeOf(cfg), { ...memoryOf(cfg), budgetBytes: W / 2 }))
      .toThrow(new RegExp(`recomputed every 20 layers; W\\^\\[1\\.\\.L\\] alone needs ${W.toLocaleString('en-US')}\\) needs [\\d,]+ but the device limit memory budget \\(--memory, MiB\\) is ${(W / 2).toLocaleString('en-US')}`));
  });

  it('the build makes bind groups per kernel and page, not per layer', async () => {
    const gpu = await gpuBackend();
    const count = async (depth: number) => {
      await runStep(resolveConfig({ ...DEEP, depth }), gpu);
      return { bindGroups: gpu.loaded!.bindGroups, dispatches: gpu.loaded!.dispatchesPerStep };
    };
    const [small, large] = [await count(40), await count(400)];
    expect(large.dispatches).toBeGreaterThan(6 * 400);
    // Bind groups grow with the statistics groups only (at most 32 forward and 32 backward), not with L.
    expect(large.bindGroups).toBeLessThan(2 * small.bindGroups);
  });
});

describe('progress and cancel', () => {
  it('progress comes in phase order, done rising to total, at every chunk', async () => {
    const gpu = await gpuBackend();
    const seen: Progress[] = [];
    gpu.fixedChunk = 1;
    try {
      await runStep(resolveConfig({ ...DEEP, seed: TEST_SEED + 1 }), gpu, { onProgress: (p) => seen.push(p) });
    } finally {
      gpu.fixedChunk = null;
    }
    const phases = [...new Set(seen.map((p) => p.phase))].filter((p) => p !== 'build');
    expect(phases).toEqual(['init', 'forward', 'loss', 'backward']);
    const step = seen.filter((p) => p.phase !== 'init' && p.phase !== 'build');
    const total = step[0].total;
    expect(total).toBe(2 * (DEEP.depth as number) + 1);
    for (let i = 1; i < step.length; i++) expect(step[i].done).toBeGreaterThan(step[i - 1].done);
    expect(step[step.length - 1].done).toBe(total);
    expect(step.length).toBe(total); // one chunk per unit here
  });

  for (const backend of ['webgpu', 'cpu'] as const) {
    it(`${backend}: cancel stops the step at a segment boundary and leaves the engine usable`, async () => {
      const b = backend === 'webgpu' ? await gpuBackend() : new CpuBackend();
      if (backend === 'webgpu') (b as Awaited<ReturnType<typeof gpuBackend>>).fixedChunk = 4;
      try {
        const controller = new AbortController();
        let stoppedAt: Progress | null = null;
        // Deep enough that the CPU backend pauses (every 50 ms) in its forward pass.
        const cancelled = await runStep(resolveConfig({ ...DEEP, depth: backend === 'cpu' ? 2000 : 300, width: backend === 'cpu' ? 64 : 17, backend }), b, {
          signal: controller.signal,
          onProgress: (p) => { if (p.phase === 'forward' && !stoppedAt) { stoppedAt = p; controller.abort(); } },
        }).then(() => null, (e: unknown) => e);
        expect(cancelled).toBeInstanceOf(CancelledError);
        expect(stoppedAt).not.toBeNull();
        // The same backend runs the next request, and gets the closed form of seed-vanish.
        const r = await runStep(resolveConfig({ preset: 'seed-vanish', depth: 12, backend }), b);
        r.layers.forEach((layer) => expect(layer.a.max).toBe(0.5 ** layer.layer));
      } finally {
        if (backend === 'webgpu') (b as Awaited<ReturnType<typeof gpuBackend>>).fixedChunk = null;
      }
    });
  }

  it('a session: a newer request cancels the running one, a superseded waiting one never runs, the latest completes', async () => {
    const gpu = await gpuBackend();
    let opened = 0;
    const session = new Session(async () => { opened++; return { backend: gpu, notice: null }; });
    const deep = resolveConfig({ ...DEEP, depth: 400 });
    const first = session.request(deep);
    const second = session.request({ ...deep, seed: 2 });
    const last = session.request(resolveConfig({ preset: 'seed-vanish', depth: 20 }));
    const outcomes = await Promise.all([first, second, last]);
    expect(outcomes.map((o) => o.kind)).toEqual(['cancelled', 'cancelled', 'done']);
    const r = outcomes[2].kind === 'done' ? outcomes[2].result : null;
    expect(r!.layers[19].a.max).toBe(0.5 ** 20);
    expect(session.counts).toEqual({ done: 1, cancelled: 2, failed: 0 });
    expect(opened).toBe(1);
    expect(session.busy).toBe(false);
  });
});

describe('every registry entry on both backends', () => {
  for (const activation of ACTIVATIONS) {
    for (const loss of LOSSES) {
      it(`${activation} × ${loss}: WebGPU within 1e-4 of the float64 reference`, async () => {
        const cfg = resolveConfig({ ...DEEP, depth: 4, activation, loss });
        const [g, c] = [await runStep(cfg, await gpuBackend()), await runStep(cfg, new CpuBackend())];
        expect(Math.abs(g.loss - c.loss)).toBeLessThanOrEqual(1e-4 * Math.abs(c.loss));
        for (const [i, layer] of c.layers.entries()) {
          for (const t of TENSOR_NAMES) {
            for (const k of STAT_NAMES.filter((s) => s === 'rms' || s === 'mean' || s === 'std')) {
              expect(Math.abs(g.layers[i][t][k] - layer[t][k]), `${t}^[${i + 1}].${k}`).toBeLessThanOrEqual(1e-4 * layer[t].rms);
            }
          }
        }
      });
    }
  }
});

/**
 * Whole networks on the WebGPU backend (Dawn/SwiftShader) against the float64 CPU backend on the same problem:
 * every tensor and every per-layer statistic; the closed forms of the linear 1.5·I / 0.5·I networks; rebuild
 * rules; limits refused before allocation; the first non-finite layer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { LimitError } from '../src/backends/backend';
import { planMemory } from '../src/backends/webgpu/memory-plan';
import { resolveConfig, type RawConfig } from '../src/model/config';
import { ACTIVATIONS, LOSSES, TENSOR_NAMES } from '../src/model/network';
import { makeProblem } from '../src/session/problem';
import { runStep } from '../src/session/run';
import { STAT_NAMES } from '../src/stats/stats';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { relativeError } from './helpers/compare';
import { TEST_SEED as SEED } from './helpers/seed';

afterAll(releaseGpu);

/**
 * Tolerance of GPU (float32) vs CPU (float64) on whole networks: each layer adds ≈ √n·2^-24 relative error
 * through its dot products, and errors compound over the L forward and L backward layers, so the error is
 * ≈ 2L·√n·6e-8 ≈ 2e-5 for L = 12, n = 65 on well-conditioned (variance-preserving) networks; 1e-4 leaves 5×.
 */
const TOL = 1e-4;

const CASES: RawConfig[] = [
  { activation: 'identity', depth: 2, width: 3, input: 'gaussian', inputDim: 17, outputDim: 5, batch: 1, init: 'xavier_normal', loss: 'mse' },
  { activation: 'relu', depth: 5, width: 33, input: 'gaussian', inputDim: 7, outputDim: 3, batch: 7, init: 'kaiming_normal', loss: 'softmax-xent', bias: 0.1 },
  { activation: 'tanh', depth: 12, width: 65, input: 'digits', batch: 33, init: 'xavier_normal', loss: 'softmax-xent' },
  { activation: 'relu', depth: 12, width: 17, input: 'digits', batch: 65, init: 'kaiming_uniform', loss: 'mse' },
  { activation: 'tanh', depth: 5, width: 127, input: 'gaussian', inputDim: 3, outputDim: 1, batch: 3, init: 'orthogonal', gain: 5 / 3, loss: 'sum' },
  // Per-layer widths (fan-in ≠ fan-out): the hourglass preset's shape, Glorot's 2/(fan_in + fan_out).
  { preset: 'hourglass', batch: 17 },
  { widths: '5,33,3,65,2', input: 'gaussian', batch: 9, activation: 'relu', init: 'lecun_uniform', loss: 'mse' },
];

describe('WebGPU network vs float64 CPU reference', () => {
  for (const raw of CASES) {
    const cfg = resolveConfig({ ...raw, seed: SEED });
    it(`${cfg.activation} L=${cfg.depth} n=${cfg.width} m=${cfg.batch} ${cfg.init} ${cfg.loss} (seed ${SEED}): tensors and statistics within ${TOL}`, async () => {
      const gpu = await gpuBackend();
      const cpu = new CpuBackend();
      const problem = makeProblem(cfg, { keepAll: true });
      await gpu.setProblem(problem);
      await cpu.setProblem(problem);
      const [g, c] = [await gpu.step(), await cpu.step()];
      const [tg, tc] = [await gpu.readTensors(), await cpu.readTensors()];
      for (const k of ['z', 'a', 'dA', 'dZ', 'dW', 'db'] as const) {
        tc[k].forEach((ref, i) => expect(relativeError(tg[k][i], ref), `${k}[${i}]`).toBeLessThan(TOL));
      }
      expect(relativeError(tg.lossPerExample, tc.lossPerExample)).toBeLessThan(TOL);
      expect(Math.abs(g.loss - c.loss)).toBeLessThan(TOL * Math.abs(c.loss));
      for (const [i, ref] of c.layers.entries()) {
        for (const t of TENSOR_NAMES) {
          const s = g.layers[i][t], r = ref[t];
          expect([s.count, s.nanCount, s.infCount]).toEqual([r.count, 0, 0]);
          // Zeros (ReLU's, dead units) agree except where float32 rounding flips the sign of a z within ~1e-6·rms of 0.
          expect(Math.abs(s.zeroFraction - r.zeroFraction), `layer ${i + 1} ${t}.zeroFraction`).toBeLessThanOrEqual(0.005);
          // Statistics of a tensor are compared relative to its rms (mean and min can be ≈ 0); l2 = rms·√count
          // relative to itself.
          for (const k of STAT_NAMES.filter((k) => k !== 'zeroFraction' && !k.endsWith('Count'))) {
            expect(Math.abs(s[k] - r[k]), `layer ${i + 1} ${t}.${k}`).toBeLessThanOrEqual(TOL * (k === 'l2' ? r.l2 : r.rms));
          }
        }
      }
    });
  }
});

describe('closed forms: linear network with W = gain·I, b = 0, x = ones, loss sum', () => {
  it('seed-explode (L = 150, 1.5·I): a^[l] = 1.5^l per entry, dW^[l] = 1.5^(L−1) per entry', async () => {
    const gpu = await gpuBackend();
    const r = await runStep(resolveConfig({ preset: 'seed-explode' }), gpu);
    const L = 150;
    expect(r.layers).toHaveLength(L);
    expect(r.firstNonFinite).toBeNull();
    for (const s of r.layers) {
      const l = s.layer;
      // Each layer rounds one product to float32: relative error ≤ l·2^-24 for a^[l]; dW multiplies a chain
      // of (L − l) backward and (l − 1) forward roundings: ≤ (L + 1)·2^-24.
      for (const v of [s.a.min, s.a.max, s.z.mean]) expect(Math.abs(v / 1.5 ** l - 1)).toBeLessThanOrEqual(l * 2 ** -24);
      for (const v of [s.dW.min, s.dW.max]) expect(Math.abs(v / 1.5 ** (L - 1) - 1)).toBeLessThanOrEqual((L + 1) * 2 ** -24);
      expect(s.a.std).toBe(0);
      expect(s.W.max).toBe(1.5);
    }
  });

  it('seed-vanish (0.5·I): a^[l] = 0.5^l exactly while normal float32; flushed or exact below 2^-126', async () => {
    const gpu = await gpuBackend();
    const r = await runStep(resolveConfig({ preset: 'seed-vanish' }), gpu);
    for (const s of r.layers) {
      const expected = 0.5 ** s.layer; // powers of two: every float32 product is exact
      if (s.layer <= 126) expect([s.a.min, s.a.max]).toEqual([expected, expected]);
      else for (const v of [s.a.min, s.a.max]) expect([0, Math.fround(expected)]).toContain(v);
      expect(s.dA.min).toBe(s.dA.max);
    }
    expect(r.firstNonFinite).toBeNull();
  });

  it('a vanishing signal underflows float32 to exactly 0: firstAllZero, while float64 stays non-zero', async () => {
    const gpu = await gpuBackend();
    const cfg = resolveConfig({ preset: 'seed-vanish', depth: 160 });
    const g = await runStep(cfg, gpu);
    // 0.5^l is a normal float32 for l ≤ 126 and a subnormal up to l = 149; 0.5^150 rounds to 0. A GPU that
    // flushes subnormals makes z^[127] the first all-zero tensor; one that keeps them, z^[150].
    expect([{ tensor: 'z', layer: 127 }, { tensor: 'z', layer: 150 }]).toContainEqual(g.firstAllZero);
    const c = await runStep(cfg, new CpuBackend());
    expect(c.firstAllZero).toBeNull(); // 0.5^160 ≈ 7e-49 is far inside float64's range
  });

  it('W = 1e6·I overflows float32 first at z^[7] (1e42 > 3.4e38), reported as firstNonFinite', async () => {
    const gpu = await gpuBackend();
    const r = await runStep(resolveConfig({ preset: 'seed-explode', gain: 1e6, depth: 10 }), gpu);
    expect(r.firstNonFinite).toEqual({ tensor: 'z', layer: 7 });
    expect(r.layers[5].a.infCount).toBe(0);
    expect(r.layers[6].z.infCount).toBe(r.layers[6].z.count);
  });
});

describe('scheduler rules', () => {
  it('rebuilds only when L, widths, batch, activation or loss change', async () => {
    const gpu = await gpuBackend();
    const base = { preset: 'seed-vanish', depth: 4 } as const;
    await runStep(resolveConfig(base), gpu);
    const builds = gpu.builds;
    await runStep(resolveConfig({ ...base, seed: 7, gain: 0.25 }), gpu); // same shape: weights re-uploaded only
    expect(gpu.builds).toBe(builds);
    // A new seed on the same shape re-uploads x, y and labels too: the loss follows the CPU on the new batch.
    for (const seed of [3, 4]) {
      const cfg = resolveConfig({ ...base, input: 'gaussian', loss: 'softmax-xent', init: 'orthogonal', gain: 1, seed });
      const [g, c] = [await runStep(cfg, gpu), await runStep(cfg, new CpuBackend())];
      expect(Math.abs(g.loss - c.loss)).toBeLessThan(TOL * Math.abs(c.loss));
    }
    const rebuiltForLoss = gpu.builds; // the loss changed: one rebuild, then none for the second seed
    expect(rebuiltForLoss).toBe(builds + 1);
    const r = await runStep(resolveConfig({ ...base, gain: 0.25 }), gpu);
    expect(r.layers[3].a.max).toBe(0.25 ** 4); // the new weights were used
    expect(gpu.builds).toBe(builds + 2); // back to loss sum
    await runStep(resolveConfig({ ...base, depth: 5 }), gpu);
    expect(gpu.builds).toBe(builds + 3);
    await runStep(resolveConfig({ ...base, depth: 5, batch: 3 }), gpu);
    expect(gpu.builds).toBe(builds + 4);
  });

  it('a network past the memory budget or a binding limit is refused with the numbers, and the last network still runs', async () => {
    const gpu = await gpuBackend();
    const small = resolveConfig({ preset: 'seed-explode', depth: 3 });
    const before = await runStep(small, gpu);
    const builds = gpu.builds;
    // 2000 layers of 4096×4096 float32 weights: 134 GB, far past the budget; the plan refuses it before any buffer
    // exists, so neither weights nor data are needed.
    await expect(runStep(resolveConfig({ depth: 2000, width: 4096, input: 'gaussian', inputDim: 4096, loss: 'sum' }), gpu))
      .rejects.toThrow(/needs 134,\d{3},\d{3},\d{3} but the device limit memory budget \(--memory, MiB\) is 2,147,483,648/);
    // One tensor larger than a binding: W^[1] of 65536×65536 (16 GiB).
    await expect(runStep(resolveConfig({ depth: 1, input: 'gaussian', inputDim: 65536, outputDim: 65536, loss: 'sum', memory: 1_048_576 }), gpu))
      .rejects.toThrow(/device limit (maxStorageBufferBindingSize|maxBufferSize)/);
    expect(gpu.builds).toBe(builds); // refused from the plan: no buffer was made
    const after = await runStep(small, gpu);
    expect(after.layers.map((l) => l.a.max)).toEqual(before.layers.map((l) => l.a.max));
  });

  it('planMemory names each limit it checks, aligns every region and splits a kind into pages', () => {
    const shape = { widths: [64, 128, 128, 10], m: 64, activation: 'relu' as const, loss: 'sum' as const, range: 'float32' as const };
    const memory = { budgetBytes: 2 ** 30, keepAll: false, checkpoint: 'auto' as const };
    const limits = { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27, minStorageBufferOffsetAlignment: 256, minUniformBufferOffsetAlignment: 256, maxComputeWorkgroupsPerDimension: 65535 };
    expect(() => planMemory(shape, memory, limits)).not.toThrow();
    expect(() => planMemory(shape, memory, { ...limits, maxStorageBufferBindingSize: 4096 })).toThrow(LimitError);
    expect(() => planMemory(shape, memory, { ...limits, maxStorageBufferBindingSize: 4096 })).toThrow(/maxStorageBufferBindingSize/);
    expect(() => planMemory(shape, memory, { ...limits, maxBufferSize: 4096 })).toThrow(/maxBufferSize/);
    expect(() => planMemory(shape, memory, { ...limits, maxComputeWorkgroupsPerDimension: 3 })).toThrow(/maxComputeWorkgroupsPerDimension/);
    expect(() => planMemory(shape, { ...memory, budgetBytes: 100_000 }, limits)).toThrow(/memory budget/);
    // Regions start at multiples of the offset alignment, so each tensor can be bound on its own; a binding of the
    // kind's size fits at every region.
    const plan = planMemory(shape, memory, limits);
    for (const k of Object.values(plan.kinds)) {
      for (const r of k.slots) {
        expect(r.offset % 256).toBe(0);
        expect(r.offset + k.bindingBytes).toBeLessThanOrEqual(k.pages[r.page]);
      }
    }
    // A binding limit of 64 KiB (one 128×128 W is 64 KiB) puts W^[2] in a page of its own instead of failing.
    const paged = planMemory(shape, memory, { ...limits, maxStorageBufferBindingSize: 65536 });
    expect(paged.kinds.W.pages.length).toBeGreaterThan(1);
    for (const p of paged.kinds.W.pages) expect(p).toBeLessThanOrEqual(65536);
  });

  it('every activation × loss pair compiles and runs (smallest network, m = 1)', async () => {
    const gpu = await gpuBackend();
    for (const activation of ACTIVATIONS) {
      for (const loss of LOSSES) {
        // n^[L] = 2: the least softmax-xent accepts.
        const r = await runStep(resolveConfig({ input: 'gaussian', inputDim: 1, width: 1, outputDim: 2, depth: 2, batch: 1, activation, loss, init: 'normal' }), gpu);
        expect(r.layers).toHaveLength(2);
        expect(Number.isFinite(r.loss)).toBe(true);
      }
    }
  });
});

describe('a lost device', () => {
  it('during a step: the step rejects with one GpuError sentence (what was lost, nothing kept, what to do); a new device works', async () => {
    const { nodeGpu } = await import('../src/backends/webgpu/node-gpu');
    const { WebGpuBackend, GpuError } = await import('../src/backends/webgpu/webgpu-backend');
    const { gpu } = await nodeGpu();
    const backend = await WebGpuBackend.create(gpu!);
    const cfg = resolveConfig({ preset: 'seed-vanish' });
    await backend.setProblem(makeProblem(cfg));
    const step = backend.step();
    backend.device.destroy();
    const error = await step.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect((error as Error).message).toMatch(/^the GPU device was lost \(.+\): nothing of this step was kept; run again/);
    await expect(backend.step()).rejects.toThrow(/the GPU device was lost/);
    const fresh = await WebGpuBackend.create(gpu!);
    const r = await runStep(cfg, fresh);
    expect(r.layers[99].a.mean).toBe(0.5 ** 100);
    fresh.destroy();
  });
});

describe('one statistics readback per step', () => {
  it('mapAsync is called once per step: single steps with several statistics groups and histograms, and training steps', async () => {
    const gpu = await gpuBackend();
    let maps = 0;
    // Count every mapAsync of every buffer (Dawn's GPUBuffer prototype), then restore it.
    const probe = gpu.device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ });
    const proto = Object.getPrototypeOf(probe) as { mapAsync: GPUBuffer['mapAsync'] };
    probe.destroy();
    const original = proto.mapAsync;
    proto.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
      maps++;
      return original.apply(this, args);
    };
    try {
      // Checkpoints every ⌈√10⌉ = 4 layers: statistics in groups of at most 4 layers, forward and backward.
      const deep = resolveConfig({ input: 'gaussian', depth: 10, width: 7, inputDim: 5, outputDim: 3, batch: 5, loss: 'mse', seed: SEED });
      await gpu.setProblem(makeProblem(deep, { histograms: true, checkpoint: 'always' }));
      expect(gpu.loaded!.plan.G).toBeLessThan(10);
      maps = 0;
      for (let i = 0; i < 3; i++) await gpu.step();
      expect(maps).toBe(3);
      const train = resolveConfig({ preset: 'train-compare', depth: 4, width: 23, batch: 17, steps: 5, seed: SEED });
      await gpu.setProblem(makeProblem(train));
      maps = 0;
      for (let i = 0; i < 5; i++) await gpu.step({}, { update: true });
      expect(maps).toBe(5);
    } finally {
      proto.mapAsync = original;
    }
  });
});

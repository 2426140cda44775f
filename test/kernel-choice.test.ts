/**
 * Kernels chosen by measurement (backends/webgpu/kernel-choice.ts): every candidate is verified against float64
 * before it is timed, the fastest wins, the choice is kept per adapter and shape class in a store and read back
 * without measuring; and whatever was chosen, whole networks agree with the float64 reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { KernelChooser, kernelName, MATMUL_CANDIDATES, memoryStore, shapeClass } from '../src/backends/webgpu/kernel-choice';
import { resolveConfig } from '../src/model/config';
import { TENSOR_NAMES } from '../src/model/network';
import { runStep } from '../src/session/run';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { TEST_SEED } from './helpers/seed';

afterAll(releaseGpu);

describe('kernel choice by measurement', () => {
  it('times every candidate that passes verification, keeps the fastest, and reads it back from the store', async () => {
    const gpu = await gpuBackend();
    const store = memoryStore();
    const chooser = new KernelChooser(gpu.device, gpu.cache, 'test adapter', store);
    const kernel = await chooser.choose('dW', 33, 17, 65);
    const choice = chooser.choices.get(shapeClass('dW', 33, 17, 65))!;
    // Every candidate verified (integer inputs: exact) and timed; the winner is the fastest of them.
    expect(choice.rejected).toEqual([]);
    expect(choice.timings.map((t) => t.kernel)).toEqual(MATMUL_CANDIDATES.map(kernelName));
    const fastest = choice.timings.reduce((a, b) => (b.ms < a.ms ? b : a));
    expect(kernelName(kernel)).toBe(fastest.kernel);
    // Kept per adapter and shape class: a new chooser on the same store reads it without measuring.
    expect(store.get(`test adapter | ${shapeClass('dW', 33, 17, 65)}`)).toBe(JSON.stringify(kernel));
    const again = new KernelChooser(gpu.device, gpu.cache, 'test adapter', store);
    expect(await again.choose('dW', 40, 20, 70)).toEqual(kernel); // same class: 64×32×128
    expect(again.choices.get(shapeClass('dW', 40, 20, 70))!.timings).toEqual([]);
  });

  for (const [i, kernel] of MATMUL_CANDIDATES.entries()) {
    it(`a network computed with ${kernelName(kernel)} everywhere agrees with float64 (fused epilogues included)`, async () => {
      const gpu = await gpuBackend();
      const saved = gpu.chooser;
      gpu.chooser = new KernelChooser(gpu.device, gpu.cache, gpu.adapter, memoryStore(), kernel);
      try {
        // A width of its own per kernel: the backend builds a new program (with this chooser) for a new shape.
        const cfg = resolveConfig({ depth: 6, width: 37 + i, batch: 9, input: 'gaussian', inputDim: 19, outputDim: 5, activation: 'tanh', init: 'xavier_normal', loss: 'softmax-xent', bias: 0.05, seed: TEST_SEED });
        const [g, c] = [await runStep(cfg, gpu), await runStep(cfg, new CpuBackend())];
        const report = gpu.kernelReport();
        expect(report.length).toBeGreaterThanOrEqual(3); // forward, dW and dA at least
        for (const k of report) expect(k.line).toContain(`→ ${kernelName(kernel)}`);
        for (const [i, layer] of c.layers.entries()) {
          for (const t of TENSOR_NAMES) expect(Math.abs(g.layers[i][t].rms - layer[t].rms), `${t}^[${i + 1}]`).toBeLessThanOrEqual(1e-4 * layer[t].rms);
        }
      } finally {
        gpu.chooser = saved;
      }
    });
  }
});

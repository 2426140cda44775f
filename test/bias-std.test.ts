/**
 * Random biases (--bias-std s): b^[l]_i = bias + s·n_i with n_i element i of the Philox stream (seed, l, BIASES),
 * drawn on the device by init.wgsl (kind normal) and on the host by model/init.ts; bias std 0 keeps the constant
 * bias bit for bit. Expected values come from the Philox reference (normalAt) and the definition, not from the code
 * under test; GPU vs CPU by the error bound of init.wgsl, whole networks by relative error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { biasBound, hostLayer } from '../src/model/init';
import { ConfigError, resolveConfig, type RawConfig } from '../src/model/config';
import { TENSOR_NAMES } from '../src/model/network';
import { normalAt, PURPOSE } from '../src/model/philox';
import { makeProblem, weightsOf } from '../src/session/problem';
import { runStep } from '../src/session/run';
import { F32_EPS, mismatches, relativeError, ulp32 } from './helpers/compare';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { SEED_NOTE, TEST_SEED } from './helpers/seed';

afterAll(releaseGpu);

const BASE: RawConfig = { depth: 4, width: 37, input: 'gaussian', inputDim: 11, outputDim: 5, batch: 6, activation: 'tanh', init: 'xavier_normal', loss: 'mse', seed: TEST_SEED };

describe('--bias-std: config', () => {
  it('defaults to 0 and takes a number in 0..1e6, naming the flag otherwise', () => {
    expect(resolveConfig({}).biasStd).toBe(0);
    expect(resolveConfig({ biasStd: '0.25' }).biasStd).toBe(0.25);
    for (const bad of ['-0.1', '1e7', 'abc', '']) {
      expect(() => resolveConfig({ biasStd: bad }), bad).toThrow(ConfigError);
      expect(() => resolveConfig({ biasStd: bad }), bad).toThrow(/biasStd \(--bias-std\): must be a number in 0\.\.1000000/);
    }
  });
});

describe('--bias-std: the host draw (model/init.ts)', () => {
  it('bias std 0: every b^[l]_i is the constant bias, as before', () => {
    const cfg = resolveConfig({ ...BASE, bias: 0.3 });
    for (const l of [1, 2, 4]) {
      const { b } = hostLayer(weightsOf(cfg), l, 7, 5);
      expect(Array.from(b)).toEqual(Array(7).fill(Math.fround(0.3)));
    }
    expect(biasBound(weightsOf(cfg))).toBe(0.3);
  });

  it(`bias std s: b^[l]_i = fround(bias + s·normalAt(seed, l, BIASES, i)), a different stream per layer ${SEED_NOTE}`, () => {
    const cfg = resolveConfig({ ...BASE, bias: -0.5, biasStd: 0.2 });
    const b2 = hostLayer(weightsOf(cfg), 2, 300, 5).b, b3 = hostLayer(weightsOf(cfg), 3, 300, 5).b;
    for (let i = 0; i < 300; i++) expect(b2[i]).toBe(Math.fround(-0.5 + 0.2 * normalAt(TEST_SEED, 2, PURPOSE.BIASES, i)));
    expect(Array.from(b2)).not.toEqual(Array.from(b3));
    // The weights do not change with the bias std (their stream is another purpose).
    expect(hostLayer(weightsOf(cfg), 2, 300, 5).W).toEqual(hostLayer(weightsOf(resolveConfig({ ...BASE, bias: -0.5 })), 2, 300, 5).W);
  });

  it(`bias std s: the empirical mean and std of 20,000 biases are within 4 standard errors of bias and s ${SEED_NOTE}`, () => {
    const N = 20_000, s = 0.7, mu = 1.5;
    const { b } = hostLayer(weightsOf(resolveConfig({ ...BASE, bias: mu, biasStd: s })), 1, N, 3);
    const mean = b.reduce((a, x) => a + x, 0) / N;
    const std = Math.sqrt(b.reduce((a, x) => a + (x - mean) ** 2, 0) / N);
    expect(Math.abs(mean - mu)).toBeLessThanOrEqual((4 * s) / Math.sqrt(N));
    expect(Math.abs(std - s)).toBeLessThanOrEqual((4 * s) / Math.sqrt(2 * N));
    // Every |b| within the bound used for the extended range's bias exponent.
    const bound = biasBound({ bias: mu, biasStd: s });
    expect(bound).toBeCloseTo(mu + 6 * s, 12);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
  });
});

describe('--bias-std: the device draw (init.wgsl) equals the host draw', () => {
  it(`biases read back from the GPU are within init.wgsl's bound of the host's, layer by layer ${SEED_NOTE}`, async () => {
    const cfg = resolveConfig({ ...BASE, bias: 0.25, biasStd: 1.5 });
    const gpu = await gpuBackend();
    await gpu.setProblem(makeProblem(cfg));
    const { b } = await gpu.readWeights();
    const n = [11, 37, 37, 37, 5];
    for (let l = 1; l <= 4; l++) {
      const host = hostLayer(weightsOf(cfg), l, n[l], n[l - 1]).b;
      const normals = Array.from({ length: n[l] }, (_, i) => normalAt(TEST_SEED, l, PURPOSE.BIASES, i));
      // init.wgsl kind normal: ≤ 25.3ε|s·n| + 2ε|b| (shaders/init.wgsl), plus the host's rounding to float32 (0.5 ulp).
      const tol = (i: number) => 27.4 * F32_EPS * Math.abs(1.5 * normals[i]) + 2.01 * F32_EPS * Math.abs(host[i]) + 0.5 * ulp32(host[i]);
      expect(mismatches(b[l - 1], host, tol), `b^[${l}]`).toEqual([]);
    }
  });

  it('bias std 0: the GPU biases are the constant, bit for bit', async () => {
    const cfg = resolveConfig({ ...BASE, bias: 0.1 });
    const gpu = await gpuBackend();
    await gpu.setProblem(makeProblem(cfg));
    const { b } = await gpu.readWeights();
    for (const bl of b) expect(Array.from(bl)).toEqual(Array(bl.length).fill(Math.fround(0.1)));
  });
});

describe('--bias-std: whole networks, WebGPU vs float64 CPU', () => {
  const cases: RawConfig[] = [
    { ...BASE, bias: 0.1, biasStd: 0.5 },
    { ...BASE, activation: 'relu', init: 'kaiming_normal', biasStd: 0.3, loss: 'softmax-xent' },
  ];
  for (const raw of cases) {
    it(`${raw.activation} bias ${raw.bias ?? 0} ± ${raw.biasStd}: every tensor within 1e-4 (float32) ${SEED_NOTE}`, async () => {
      const cfg = resolveConfig(raw);
      const problem = makeProblem(cfg, { keepAll: true });
      const gpu = await gpuBackend(), cpu = new CpuBackend();
      await gpu.setProblem(problem);
      await cpu.setProblem(problem);
      await gpu.step();
      await cpu.step();
      const [tg, tc] = [await gpu.readTensors(), await cpu.readTensors()];
      for (const k of ['z', 'a', 'dA', 'dZ', 'dW', 'db'] as const) {
        tc[k].forEach((ref, i) => expect(relativeError(tg[k][i], ref), `${k}[${i}]`).toBeLessThan(1e-4));
      }
    });

    it(`${raw.activation} bias ${raw.bias ?? 0} ± ${raw.biasStd}, extended range: log10 rms within 1e-3 of float64 ${SEED_NOTE}`, async () => {
      const cfg = resolveConfig({ ...raw, range: 'extended', depth: 30 });
      const [g, c] = [await runStep(cfg, await gpuBackend()), await runStep(cfg, new CpuBackend())];
      for (const [i, layer] of c.layers.entries()) {
        for (const t of TENSOR_NAMES) {
          expect(Math.abs(g.layers[i][t].log10.rms - layer[t].log10.rms), `${t}^[${i + 1}]`).toBeLessThanOrEqual(1e-3);
        }
      }
    });
  }
});

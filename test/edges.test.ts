/**
 * The extreme-input cases of the issue "Correct at every edge", each as a whole network on both backends (WebGPU on
 * Dawn, and the float64 CPU reference), with expected values from closed forms computed here independently of the
 * engine: sech², ln 2, ln 10, the mean and std of a scaled identity, and a subnormal's own value.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import type { Backend } from '../src/backends/backend';
import { resolveConfig, type RawConfig } from '../src/model/config';
import { runStep } from '../src/session/run';
import type { RunResult } from '../src/model/result';
import { gpuBackend, releaseGpu } from './helpers/gpu';

afterAll(releaseGpu);

const BACKENDS: [string, () => Promise<Backend>][] = [['webgpu', gpuBackend], ['cpu', async () => new CpuBackend()]];

async function run(backend: () => Promise<Backend>, raw: RawConfig): Promise<RunResult> {
  return runStep(resolveConfig(raw), await backend());
}

const relClose = (got: number, want: number, rel: number) => expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(rel * Math.abs(want));

for (const [name, backend] of BACKENDS) {
  describe(`${name}: extreme inputs give the exact values`, () => {
    const tanh1 = { depth: 2, width: 1, input: 'ones', inputDim: 1, outputDim: 1, batch: 1, activation: 'tanh', init: 'constant', loss: 'sum' } as const;

    it('tanh at z = 10: dZ^[1] = 10·sech²(10) = 8.2446e-8, no invented underflow', async () => {
      const r = await run(backend, { ...tanh1, value: 10 });
      // z^[1] = 10, a^[1] = tanh 10, z^[2] = 10·tanh 10, dA^[1] = W^[2] = 10, dZ^[1] = 10·sech²(10).
      relClose(r.layers[0].dZ.mean, 10 / Math.cosh(10) ** 2, 1e-6);
      expect(r.firstAllZero).toBeNull();
    });

    it('tanh at z = 9.0109138…: a^[1] is tanh z rounded (1 in float32), dZ^[1] = 5.3709e-7', async () => {
      const v = Math.fround(9.010913848876953);
      const r = await run(backend, { ...tanh1, value: 9.010913848876953 });
      const a = r.layers[0].a.mean;
      // float32: the correctly rounded tanh z is 1 (1 − tanh z = 0.9999990·2^-25 < half an ulp); float64: tanh z.
      expect(a).toBe(name === 'webgpu' ? Math.fround(Math.tanh(v)) : Math.tanh(v));
      relClose(r.layers[0].dZ.mean, v / Math.cosh(v) ** 2, 1e-6);
      expect(r.layers[0].dZ.mean).toBeCloseTo(5.3709e-7, 10);
    });

    for (const [value, nL, want] of [[1e6, 2, Math.LN2], [1e6, 10, Math.LN10], [1e5, 2, Math.LN2], [100, 2, Math.LN2]] as const) {
      it(`softmax-xent with every logit ${100 * value} (${nL} classes): J = ln ${nL}, dŷ = (1/${nL} − [label])/m`, async () => {
        const r = await run(backend, { depth: 1, input: 'ones', inputDim: 100, outputDim: nL, batch: 4, init: 'constant', value, loss: 'softmax-xent' });
        relClose(r.loss, want, 1e-6);
        // dA^[1] = dŷ: one entry per example is (1/nL − 1)/4, the others 1/(4nL).
        relClose(r.layers[0].dA.min, (1 / nL - 1) / 4, 1e-6);
        relClose(r.layers[0].dA.max, 1 / (4 * nL), 1e-6);
      });
    }

    it('the scaled identity 10000·I at width 2000: W^[1] mean 5, std √(10000²/2000 − 25) = 223.5509', async () => {
      const r = await run(backend, { depth: 2, width: 2000, input: 'ones', inputDim: 2000, outputDim: 2000, batch: 1, activation: 'identity', init: 'identity', gain: 10000, loss: 'sum' });
      const W = r.layers[0].W;
      relClose(W.mean, 5, 1e-5);
      relClose(W.std, Math.sqrt(1e8 / 2000 - 25), 1e-5);
      relClose(W.rms, Math.sqrt(1e8 / 2000), 1e-5);
      expect([W.min, W.max]).toEqual([0, 10000]);
    });

    it('a subnormal weight (1e-40) is non-zero and enters min, max, mean, rms and l2 with its own value', async () => {
      const r = await run(backend, { depth: 1, input: 'ones', inputDim: 4, outputDim: 4, batch: 1, init: 'constant', value: 1e-40, loss: 'sum' });
      const W = r.layers[0].W, v = Math.fround(1e-40);
      expect([W.zeroFraction, W.min, W.max, W.mean]).toEqual([0, v, v, v]);
      relClose(W.rms, v, 1e-6);
      relClose(W.l2, 4 * v, 1e-6);
    });
  });
}

/**
 * The extended range (power-of-two scales per tensor) against closed forms far beyond float32 and float64:
 * the linear networks W = 1.5·I and 0.5·I at L = 10,000 (a^[l] = gain^l per entry, dW^[l] = gain^(L−1)), ReLU + He
 * at L = 5,000 (every log10 finite, WebGPU within 1e-3 of the float64 reference in log10), and agreement with the
 * float32 range where nothing overflows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backends/backend';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { resolveConfig, type RawConfig } from '../src/model/config';
import { TENSOR_NAMES } from '../src/model/network';
import { runStep } from '../src/session/run';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { TEST_SEED } from './helpers/seed';

afterAll(releaseGpu);

const BACKENDS: [string, () => Promise<Backend>][] = [['webgpu', gpuBackend], ['cpu', async () => new CpuBackend()]];

for (const [name, backend] of BACKENDS) {
  describe(`${name}: closed forms at L = 10,000 in the extended range`, () => {
    for (const [preset, gain] of [['seed-explode', 1.5], ['seed-vanish', 0.5]] as const) {
      it(`${preset}: log10 rms(a^[l]) = l·log10 ${gain}, log10 rms(dW^[l]) = 9,999·log10 ${gain} to 1e-4`, async () => {
        const L = 10_000;
        const r = await runStep(resolveConfig({ preset, depth: L, range: 'extended' }), await backend());
        const lg = Math.log10(gain);
        expect(Math.abs(r.layers[L - 1].dW.log10.rms - (L - 1) * lg)).toBeLessThanOrEqual(1e-4);
        for (const layer of r.layers) {
          const l = layer.layer;
          expect(Math.abs(layer.a.log10.rms - l * lg), `a^[${l}]`).toBeLessThanOrEqual(1e-4);
          expect(Math.abs(layer.dW.log10.rms - (L - 1) * lg), `dW^[${l}]`).toBeLessThanOrEqual(1e-4);
          // dA^[l] = gain^(L−l) per entry (loss sum: dŷ = 1).
          expect(Math.abs(layer.dA.log10.rms - (L - l) * lg), `dA^[${l}]`).toBeLessThanOrEqual(1e-4);
        }
        expect(r.firstNonFinite).toBeNull();
        expect(r.firstAllZero).toBeNull();
        // 1.5^10000 = 10^1760.9: past float64 too, so the values themselves are ∞ or 0; the log10 fields carry them.
        expect(r.layers[L - 1].a.rms).toBe(gain > 1 ? Infinity : 0);
      });
    }
  });
}

describe('extended range: WebGPU against the float64 reference', () => {
  it('ReLU + He at L = 5,000, n = 16: every log10 finite, WebGPU within 1e-3 of float64 in log10', async () => {
    const cfg = resolveConfig({ depth: 5000, width: 16, input: 'gaussian', inputDim: 16, batch: 8, activation: 'relu', init: 'kaiming_normal', loss: 'sum', range: 'extended', seed: TEST_SEED });
    const [g, c] = [await runStep(cfg, await gpuBackend()), await runStep(cfg, new CpuBackend())];
    for (const [i, layer] of c.layers.entries()) {
      for (const t of TENSOR_NAMES) {
        expect(Number.isFinite(g.layers[i][t].log10.rms), `${t}^[${i + 1}]`).toBe(true);
        expect(Math.abs(g.layers[i][t].log10.rms - layer[t].log10.rms), `${t}^[${i + 1}]`).toBeLessThanOrEqual(1e-3);
      }
    }
  });

  const cases: RawConfig[] = [
    // (tanh-large itself is chaotic: float32 and float64 runs part ways exponentially in either range.)
    { depth: 80, width: 32, input: 'gaussian', inputDim: 32, batch: 8, activation: 'tanh', init: 'xavier_normal', gain: 1.3, loss: 'sum', seed: TEST_SEED },
    { depth: 300, width: 24, input: 'gaussian', inputDim: 24, batch: 6, activation: 'tanh', init: 'xavier_normal', gain: 0.6, loss: 'softmax-xent', outputDim: 5, seed: TEST_SEED },
    { depth: 200, width: 20, input: 'gaussian', inputDim: 20, batch: 4, activation: 'relu', init: 'kaiming_normal', bias: 0.1, loss: 'mse', outputDim: 3, seed: TEST_SEED },
  ];
  for (const raw of cases) {
    it(`${JSON.stringify(raw)}: WebGPU within 1e-3 of float64 in log10 (tanh, bias, every loss)`, async () => {
      const cfg = resolveConfig({ ...raw, range: 'extended' });
      const [g, c] = [await runStep(cfg, await gpuBackend()), await runStep(cfg, new CpuBackend())];
      for (const [i, layer] of c.layers.entries()) {
        for (const t of TENSOR_NAMES) {
          const want = layer[t].log10.rms;
          if (want === -Infinity) expect(g.layers[i][t].log10.rms).toBe(-Infinity);
          else expect(Math.abs(g.layers[i][t].log10.rms - want), `${t}^[${i + 1}]`).toBeLessThanOrEqual(1e-3);
        }
      }
      expect(Math.abs(g.loss - c.loss)).toBeLessThanOrEqual(1e-4 * Math.abs(c.loss));
    });
  }

  it.each(['relu-he', 'tanh-large'])('%s: where nothing overflows, the extended range gives the float32 range\'s statistics', async (preset) => {
    const gpu = await gpuBackend();
    const base = { preset, depth: 20, seed: TEST_SEED } as const;
    const [f, e] = [await runStep(resolveConfig({ ...base, range: 'float32' }), gpu), await runStep(resolveConfig({ ...base, range: 'extended' }), gpu)];
    for (const [i, layer] of f.layers.entries()) {
      for (const t of TENSOR_NAMES) {
        expect(Math.abs(e.layers[i][t].rms - layer[t].rms), `${t}^[${i + 1}]`).toBeLessThanOrEqual(1e-5 * layer[t].rms);
        expect(Math.abs(e.layers[i][t].log10.rms - Math.log10(layer[t].rms))).toBeLessThanOrEqual(1e-5);
      }
    }
  });
});

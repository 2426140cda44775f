/**
 * The phase diagram (--phase; model/phase.ts, model/phase-theory.ts, backends/{cpu,webgpu}/phase.ts): flag
 * validation, the mean-field critical line against known values (Poole et al. 2016, Schoenholz et al. 2017), the
 * batched WebGPU engine against the float64 CPU reference on a small grid, and the measured sign change of the
 * gradient growth rate across the theory's line (tanh, width 256).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runPhaseCpu } from '../src/backends/cpu/phase';
import { planPhase, runPhaseGpu } from '../src/backends/webgpu/phase';
import { parseArgs, UsageError } from '../src/cli/args';
import { formatPhase } from '../src/cli/phase-table';
import { resolveConfig } from '../src/model/config';
import {
  correlationRate, DEFAULT_PHASE_OPTIONS, growthRate, PhaseConfigError, resolvePhaseOptions, zeroCrossing, type PhaseSpec,
} from '../src/model/phase';
import { chi1, criticalSw2, fixedPointQ, gaussianExpectation } from '../src/model/phase-theory';
import { phaseSpec, runPhase } from '../src/session/phase';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { TEST_SEED } from './helpers/seed';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { Session, type RunProgress } from '../src/session/session';
import { phaseJson } from '../src/model/phase';

afterAll(releaseGpu);

/** E[h(z)], z ~ N(0, q), by a fine trapezoid rule on [−12√q, 12√q] (independent of the code under test). */
function trapezoid(h: (u: number) => number, q: number, steps = 200_000): number {
  const s = Math.sqrt(q), a = -12, dz = 24 / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const z = a + i * dz, w = i === 0 || i === steps ? 0.5 : 1;
    sum += w * h(s * z) * Math.exp(-0.5 * z * z);
  }
  return (sum * dz) / Math.sqrt(2 * Math.PI);
}

describe('--phase flags', () => {
  it('defaults to a 24 × 24 grid, σ_w² 0.5..4, σ_b² 0..0.3', () => {
    expect(resolvePhaseOptions({})).toEqual(DEFAULT_PHASE_OPTIONS);
    expect(DEFAULT_PHASE_OPTIONS).toMatchObject({ cols: 24, rows: 24, sw2: [0.5, 4], sb2: [0, 0.3] });
    expect(resolvePhaseOptions({ grid: '8x1', sw2: '1..2', sb2: '0.05', draws: 'independent' }))
      .toEqual({ cols: 8, rows: 1, sw2: [1, 2], sb2: [0.05, 0.05], draws: 'independent' });
  });
  it('rejects bad values naming the flag', () => {
    const cases: [Parameters<typeof resolvePhaseOptions>[0], RegExp][] = [
      [{ grid: '0x4' }, /^--phase-grid: /], [{ grid: '300x2' }, /^--phase-grid: /], [{ grid: 'abc' }, /^--phase-grid: /],
      [{ sw2: '0..2' }, /^--sw2: /], [{ sw2: '3..2' }, /^--sw2: /], [{ sw2: 'x' }, /^--sw2: /], [{ sw2: '1' }, /^--sw2: .*1 column/],
      [{ sb2: '-1..0.3' }, /^--sb2: /], [{ sb2: '0..1e5' }, /^--sb2: /], [{ draws: 'some' }, /^--phase-draws: /],
    ];
    for (const [raw, message] of cases) {
      expect(() => resolvePhaseOptions(raw), JSON.stringify(raw)).toThrow(PhaseConfigError);
      expect(() => resolvePhaseOptions(raw), JSON.stringify(raw)).toThrow(message);
    }
    expect(resolvePhaseOptions({ grid: '1x3', sw2: '1.5', sb2: '0..0.2' })).toMatchObject({ cols: 1, rows: 3, sw2: [1.5, 1.5], sb2: [0, 0.2] });
  });
});

describe('--phase on the command line', () => {
  it('takes the grid flags as typed, and refuses them without --phase and with outputs of a step', () => {
    const parsed = parseArgs(['--phase', '--phase-grid', '4x2', '--sw2', '1..3', '--sb2', '0..0.1', '--phase-draws', 'independent']);
    expect(parsed.kind === 'run' && parsed.args.phase).toEqual({ grid: '4x2', sw2: '1..3', sb2: '0..0.1', draws: 'independent' });
    const none = parseArgs(['--depth', '5']);
    expect(none.kind === 'run' && none.args.phase).toBeNull();
    expect(() => parseArgs(['--sw2', '1..2'])).toThrow(/--sw2 is a flag of the phase diagram: add --phase/);
    for (const extra of [['--plan'], ['--theory'], ['--seeds', '3'], ['--csv', 'x.csv'], ['--histograms']]) {
      expect(() => parseArgs(['--phase', ...extra]), extra.join(' ')).toThrow(UsageError);
      expect(() => parseArgs(['--phase', ...extra]), extra.join(' ')).toThrow(new RegExp(`^${extra[0]} cannot be used with --phase`));
    }
  });
});

describe('Session.phase: progress, cancel, JSON', () => {
  it('reports progress, stops on cancel(), then runs a grid to the end with the theory in the JSON', async () => {
    const progress: RunProgress[] = [];
    let cancelAt = 1;
    const session: Session = new Session(async () => ({ backend: new CpuBackend(), notice: null }), {
      onProgress: (p) => { progress.push(p); if (progress.length === cancelAt) session.cancel(); },
    });
    const cfg = resolveConfig({ backend: 'cpu', depth: 20, width: 128, batch: 8, activation: 'relu', seed: TEST_SEED });
    expect((await session.phase(cfg, resolvePhaseOptions({ grid: '4x4' }))).kind).toBe('cancelled');
    cancelAt = -1;
    progress.length = 0;
    const small = resolveConfig({ backend: 'cpu', depth: 8, width: 16, batch: 4, activation: 'relu', seed: TEST_SEED });
    const outcome = await session.phase(small, resolvePhaseOptions({ grid: '3x2', sw2: '1..3', sb2: '0..0.1' }));
    session.close();
    expect(outcome.kind).toBe('done');
    if (outcome.kind !== 'done') return;
    expect(progress.at(-1)).toMatchObject({ done: 6 * 17, total: 6 * 17 });
    const json = JSON.parse(phaseJson(outcome.result)) as { phase: Record<string, unknown> };
    expect(json.phase).toMatchObject({ activation: 'relu', depth: 8, width: 16, sw2: [1, 2, 3], sb2: [0, 0.1], criticalTheory: [2, 2] });
    expect(json.phase.growth).toHaveLength(2);
    expect((json.phase.growth as unknown[][])[0]).toHaveLength(3);
    expect(json.phase.series).toBeUndefined();
  });
});

describe('mean-field critical line χ₁ = 1', () => {
  it('ReLU: σ_w² = 2 at σ_b² = 0; tanh: σ_w² = 1 at σ_b² = 0', () => {
    expect(criticalSw2('relu', 0)).toBe(2);
    expect(criticalSw2('relu', 0.2)).toBe(2);
    // The closed forms behind it (E[relu(√q z)²] = q/2, E[relu′²] = ½) against the quadrature.
    for (const q of [0.3, 1, 7]) {
      expect(gaussianExpectation((u) => Math.max(u, 0) ** 2, q)).toBeCloseTo(q / 2, 10);
      expect(gaussianExpectation((u) => (u > 0 ? 1 : 0), q)).toBeCloseTo(0.5, 10);
    }
    expect(fixedPointQ('relu', 1.5, 0.1)).toBeCloseTo(0.1 / (1 - 0.75), 14);
    expect(chi1('relu', 2, 0.1)).toBe(1);
    expect(criticalSw2('tanh', 0)).toBeCloseTo(1, 6);
  });
  it('tanh at σ_b² = 0.05: ≈ 1.76, and χ₁ = 1 there by an independent trapezoid rule', () => {
    const sw2 = criticalSw2('tanh', 0.05)!;
    expect(sw2).toBeGreaterThan(1.74);
    expect(sw2).toBeLessThan(1.78);
    // Independent check: q* by iterating the variance map with the trapezoid rule, then χ₁.
    let q = 1;
    for (let i = 0; i < 500; i++) q = sw2 * trapezoid((u) => Math.tanh(u) ** 2, q, 20_000) + 0.05;
    expect(fixedPointQ('tanh', sw2, 0.05)).toBeCloseTo(q, 8);
    expect(sw2 * trapezoid((u) => 1 / Math.cosh(u) ** 4, q)).toBeCloseTo(1, 8);
    expect(chi1('tanh', sw2, 0.05)).toBeCloseTo(1, 10);
  });
});

/** The largest |GPU − CPU| of ln rms(dA^[l]) and the largest relative difference of 1 − c^[l] over a spec. */
async function compare(spec: PhaseSpec, budget = 2 ** 30): Promise<{ lnRms: number; decor: number; P: number; chunks: number }> {
  const backend = await gpuBackend();
  const gpu = await runPhaseGpu(backend.device, backend.cache, spec, budget);
  const cpu = await runPhaseCpu(spec);
  let lnRms = 0, decor = 0;
  gpu.series.forEach((s, p) => {
    const r = cpu.series[p];
    for (let l = 0; l < s.lnRmsDA.length; l++) {
      expect(Number.isFinite(s.lnRmsDA[l]) && Number.isFinite(r.lnRmsDA[l]), `network ${p} layer ${l}`).toBe(true);
      lnRms = Math.max(lnRms, Math.abs(s.lnRmsDA[l] - r.lnRmsDA[l]));
      if (r.oneMinusC[l] > 1e-4) decor = Math.max(decor, Math.abs(s.oneMinusC[l] / r.oneMinusC[l] - 1));
    }
  });
  return { lnRms, decor, P: gpu.networksPerDispatch, chunks: gpu.chunks };
}

describe('batched WebGPU engine = float64 CPU reference', () => {
  for (const activation of ['tanh', 'relu'] as const) {
    it(`${activation}: a 3 × 2 grid, L = 6, n = 24, m = 6, independent draws, in one chunk and in chunks of 2`, async () => {
      const cfg = resolveConfig({ depth: 6, width: 24, batch: 6, activation, seed: TEST_SEED });
      const spec = phaseSpec(cfg, resolvePhaseOptions({ grid: '3x2', sw2: '0.8..3', sb2: '0..0.2', draws: 'independent' }));
      const one = await compare(spec);
      expect(one.P).toBe(6);
      // float32 products of 24 terms over 12 layers: ln rms within 1e-4, 1 − c (≥ 1e-4) within 1e-2 relative.
      expect(one.lnRms).toBeLessThan(1e-4);
      expect(one.decor).toBeLessThan(1e-2);
      const backend = await gpuBackend();
      const bytes = planPhase(spec, backend.device.limits, 2 ** 30).bytes;
      const chunked = await compare(spec, Math.floor(bytes / 2));
      expect(chunked.chunks).toBeGreaterThan(1);
      expect(chunked.lnRms).toBeLessThan(1e-4);
    });
  }
});

describe('batched WebGPU engine at float32\'s edges', () => {
  it('rms(dA) down to ~2^-100 (squares far below float32\'s range) and up to ~2^100: the records scale by the exponent', async () => {
    // tanh, σ_b² = 0: σ_w² = 0.1 shrinks dA by about √0.1 per layer (2^-100 after 60 layers); ReLU σ_w² = 20 grows it by √10.
    const spec = (activation: 'tanh' | 'relu', sw2: number): PhaseSpec => ({ activation, depth: 60, width: 16, batch: 4, networks: [{ sw2, sb2: 0, seed: TEST_SEED }] });
    for (const [s, lo, hi] of [[spec('tanh', 0.1), -80, -40], [spec('relu', 20), 40, 80]] as const) {
      const backend = await gpuBackend();
      const gpu = (await runPhaseGpu(backend.device, backend.cache, s, 2 ** 28)).series[0];
      const cpu = (await runPhaseCpu(s)).series[0];
      expect(cpu.lnRmsDA[0], s.activation).toBeGreaterThan(lo);
      expect(cpu.lnRmsDA[0], s.activation).toBeLessThan(hi);
      for (let l = 0; l <= 60; l++) expect(Math.abs(gpu.lnRmsDA[l] - cpu.lnRmsDA[l]), `${s.activation} layer ${l}`).toBeLessThan(1e-3);
    }
  });
});

describe('the measured growth rate changes sign at the theory line (tanh, width 256)', () => {
  const critical = criticalSw2('tanh', 0.05)!;
  const offsets = [-0.4, -0.2, 0, 0.2, 0.4];

  it('on the device: σ_b² = 0.05, growth < 0 below and > 0 above the critical σ_w²', async () => {
    const cfg = resolveConfig({ depth: 24, width: 256, batch: 4, activation: 'tanh', seed: TEST_SEED });
    const backend = await gpuBackend();
    const result = await runPhase(cfg, resolvePhaseOptions({ grid: '5x1', sw2: `${critical - 0.4}..${critical + 0.4}`, sb2: '0.05' }), backend);
    const growth = result.growth[0];
    expect(growth[0]!).toBeLessThan(0);
    expect(growth[1]!).toBeLessThan(0);
    expect(growth[3]!).toBeGreaterThan(0);
    expect(growth[4]!).toBeGreaterThan(0);
    expect(result.criticalTheory[0]).toBeCloseTo(critical, 12);
    expect(result.criticalMeasured[0]).not.toBeNull();
    const table = formatPhase(result);
    expect(table).toContain('−−');
    expect(table.trim().split('\n').at(-1)).toMatch(/^0\.0500 +1\.\d{4} +1\.7610 +−−\+\+$|^0\.0500 +1\.\d{4} +1\.7610 +−−[−+]\+\+$/);
  });

  it('over 8 seeds (float64 reference): the mean zero crossing is within 3 standard errors of the theory', async () => {
    const K = 8;
    const networks = Array.from({ length: K }, (_, k) => offsets.map((d) => ({ sw2: critical + d, sb2: 0.05, seed: TEST_SEED + 100 + k }))).flat();
    const { series } = await runPhaseCpu({ activation: 'tanh', depth: 24, width: 256, batch: 4, networks });
    const crossings = Array.from({ length: K }, (_, k) => {
      const growth = offsets.map((_, i) => growthRate(series[k * offsets.length + i].lnRmsDA));
      expect(growth[0]!, `seed ${k}`).toBeLessThan(0);
      expect(growth[4]!, `seed ${k}`).toBeGreaterThan(0);
      return zeroCrossing(offsets.map((d) => critical + d), growth)!;
    });
    // The decorrelation rate of nearby inputs (ln(1 − c) per layer, theory ln χ₁) has the same signs, seed by seed.
    const rates = offsets.map((_, i) => Array.from({ length: K }, (_k, k) => correlationRate(series[k * offsets.length + i].oneMinusC)!));
    const meanRate = rates.map((r) => r.reduce((a, b) => a + b, 0) / K);
    console.log('decorrelation rate per layer', meanRate.map((r) => r.toFixed(4)).join(' '), 'theory', offsets.map((d) => Math.log(chi1('tanh', critical + d, 0.05)).toFixed(4)).join(' '));
    expect(Math.max(...rates[0])).toBeLessThan(0);
    expect(Math.min(...rates[4])).toBeGreaterThan(0);
    const mean = crossings.reduce((a, b) => a + b, 0) / K;
    const sd = Math.sqrt(crossings.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1));
    const se = sd / Math.sqrt(K);
    console.log(`critical σ_w² at σ_b² = 0.05: theory ${critical.toFixed(4)}, measured ${mean.toFixed(4)} ± ${se.toFixed(4)} (sd ${sd.toFixed(4)}, ${K} seeds)`);
    expect(Math.abs(mean - critical)).toBeLessThan(3 * se);
  });
});

describe('the GUI view (ui/phase-view.ts): layout helpers', () => {
  it('maps canvas points to cells with σ_b² increasing upward, colours by sign, and describes a cell', async () => {
    const { divergingColour, phaseCellAt, phaseCellText } = await import('../src/ui/phase-view');
    const r = {
      sw2: [1, 2, 3, 4], sb2: [0, 0.1], growth: [[-0.2, -0.1, 0.1, null], [-0.3, -0.2, 0.05, 0.2]],
      growthTheory: [[-0.2, -0.1, 0.1, 0.2], [-0.3, -0.2, 0.05, 0.2]], criticalMeasured: [2.5, 2.8], criticalTheory: [2, 2.6],
    } as unknown as Parameters<typeof phaseCellText>[0];
    // Plot: x 52..468 (416 px, 104 per column), y 12..320 (308 px, 154 per row) of a 480 × 360 canvas.
    expect(phaseCellAt(r, 480, 360, 53, 13)).toEqual({ row: 1, col: 0 });
    expect(phaseCellAt(r, 480, 360, 467, 319)).toEqual({ row: 0, col: 3 });
    expect(phaseCellAt(r, 480, 360, 40, 100)).toBeNull();
    expect(phaseCellAt(r, 480, 360, 100, 330)).toBeNull();
    expect(divergingColour(0, 1)).toBe('rgb(255,255,255)');
    expect(divergingColour(-1, 1)).toBe('rgb(33,102,172)');
    expect(divergingColour(5, 1)).toBe('rgb(178,24,43)');
    expect(divergingColour(NaN, 1)).toBe('#bbb');
    expect(phaseCellText(r, 0, 3)).toMatch(/^σ_w² = 4, σ_b² = 0: growth of rms\(dA\) not fitted per layer \(theory ½ ln χ₁ = 0\.2000\); critical σ_w² measured 2\.5000, theory 2\.0000; click to open this network$/);
  });
});

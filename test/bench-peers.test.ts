// The peer bench's pure parts (bench/peers/): statistics, the interleaving order, errors, options, the ceiling's
// arithmetic and the table. Nothing here is timed: the bench's numbers are claims only in its own output.
import { describe, expect, it } from 'vitest';
import { fmaRate } from '../bench/peers/ceiling';
import { errorText, interleave, mapSample, relativeError, summarize, type Sample } from '../bench/peers/measure';
import { stepFlops } from '../bench/peers/nets';
import { DEFAULT_NETS, DEFAULT_SHAPES, netsFor, parseShape, roundsFor, type PeerBenchResult } from '../bench/peers/run';
import { formatTable, num } from '../bench/peers/table';

const s = (median: number, min = median, max = median, runs = 3): Sample => ({ median, min, max, runs });

describe('summarize', () => {
  it('median of an odd count is the middle value, of an even count the mean of the two middle ones', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, runs: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, runs: 4 });
    expect(summarize([7])).toEqual({ median: 7, min: 7, max: 7, runs: 1 });
  });
  it('does not reorder its input and refuses an empty one', () => {
    const xs = [3, 1, 2];
    summarize(xs);
    expect(xs).toEqual([3, 1, 2]);
    expect(() => summarize([])).toThrow(RangeError);
  });
  it('mapSample keeps min ≤ max under a decreasing map (time → rate)', () => {
    expect(mapSample(s(2, 1, 4), (ms) => 8 / ms)).toEqual({ median: 4, min: 2, max: 8, runs: 3 });
  });
});

describe('interleave', () => {
  it('runs the contenders in rounds A B C A B C … and divides by the operations per call', async () => {
    const order: string[] = [];
    const contender = (name: string) => ({ name, once: async () => { order.push(name); } });
    const out = await interleave([contender('a'), contender('b'), contender('c')], { min: 3, max: 3, budgetMs: 0 }, 4);
    expect(order).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
    for (const name of ['a', 'b', 'c']) expect(out.get(name)!.ms).toHaveLength(3);
  });
  it('drops a contender that throws and keeps its error; the others go on', async () => {
    let calls = 0;
    const out = await interleave([
      { name: 'ok', once: async () => {} },
      { name: 'bad', once: async () => { calls++; throw new Error('device lost\nstack'); } },
    ], { min: 4, max: 4, budgetMs: 0 });
    expect(calls).toBe(1);
    expect(out.get('bad')!.error).toBe('device lost');
    expect(out.get('ok')!.ms).toHaveLength(4);
  });
  it('stops after min rounds once the budget is spent, never after max', async () => {
    const order: string[] = [];
    const out = await interleave([{ name: 'x', once: async () => { order.push('x'); } }], { min: 2, max: 9, budgetMs: -1 });
    expect(out.get('x')!.ms).toHaveLength(2);
    const more = await interleave([{ name: 'y', once: async () => {} }], { min: 1, max: 5, budgetMs: 1e9 });
    expect(more.get('y')!.ms).toHaveLength(5);
  });
});

describe('errors', () => {
  it('relativeError is ‖got − ref‖/‖ref‖, ∞ for a length mismatch, NaN for a NaN', () => {
    expect(relativeError([3, 4], [3, 4])).toBe(0);
    expect(relativeError([3, 5], [3, 4])).toBeCloseTo(1 / 5, 15);
    expect(relativeError([1], [1, 2])).toBe(Infinity);
    expect(relativeError([NaN, 4], [3, 4])).toBeNaN();
  });
  it('errorText: the first line, the error class unless plain Error, at most 160 characters', () => {
    expect(errorText(new TypeError('x is not a function\n  at f'))).toBe('TypeError: x is not a function');
    expect(errorText(new Error('plain'))).toBe('plain');
    expect(errorText('a'.repeat(500))).toHaveLength(158);
  });
});

describe('options', () => {
  it('roundsFor: the default 3–5, --full 3–7, --rounds n exactly; n must be a whole number ≥ 1', () => {
    expect(roundsFor(false)).toMatchObject({ min: 3, max: 5 });
    expect(roundsFor(true)).toMatchObject({ min: 3, max: 7 });
    expect(roundsFor(false, 9)).toEqual({ min: 9, max: 9, budgetMs: 0 });
    for (const bad of [0, -1, 2.5, NaN]) expect(() => roundsFor(false, bad)).toThrow(RangeError);
  });
  it('parseShape reads MxKxN with x or ×', () => {
    expect(parseShape('128x64x128')).toEqual({ M: 128, K: 64, N: 128 });
    expect(parseShape(' 1×4096×4096')).toEqual({ M: 1, K: 4096, N: 4096 });
    for (const bad of ['512', '512x512', '0x1x1', 'ax1x1', '1.5x2x2']) expect(() => parseShape(bad)).toThrow(RangeError);
  });
  it('the default is the issue\'s three products and two networks; netsFor refuses unknown names', () => {
    expect(DEFAULT_SHAPES.map((x) => `${x.M}x${x.K}x${x.N}`)).toEqual(['128x64x128', '512x512x512', '1024x1024x1024']);
    expect(DEFAULT_NETS.map((n) => n.name)).toEqual(['relu-he', 'seed-explode']);
    expect(netsFor(true).map((n) => n.name)).toEqual(['relu-he', 'seed-explode', 'deep-narrow', 'wide']);
    expect(netsFor(false, ['wide']).map((n) => n.name)).toEqual(['wide']);
    expect(() => netsFor(false, ['resnet'])).toThrow(/not one of/);
  });
});

describe('arithmetic', () => {
  it('fmaRate: 2 flops per multiply-add, 4 per vec4 accumulator per iteration', () => {
    // 8 accumulators × 4 lanes × 2 flops × 1000 iterations × 1e6 invocations in 64 ms = 1 TFLOP/s.
    expect(fmaRate(8, 1000, 1e6, 64)).toBeCloseTo(1000, 9);
    expect(fmaRate(1, 1, 1, 0)).toBeNaN();
    expect(fmaRate(1, 1, 1, -3)).toBeNaN();
  });
  it('stepFlops: forward and dW at every layer, dA from layer 2 on', () => {
    // widths 4 → 3 → 2, m = 5: layer 1 2·3·4·5·2 = 240, layer 2 2·2·3·5·3 = 180.
    expect(stepFlops([4, 3, 2], 5)).toBe(420);
  });
  it('num: three significant digits, thousands grouped, tiny values exponential', () => {
    expect(num(0.123456)).toBe('0.123');
    expect(num(12345.6)).toBe('12,346');
    expect(num(0.00001234)).toBe('1.2e-5');
    expect(num(Infinity)).toBe('Infinity');
  });
});

describe('formatTable', () => {
  const result = (): PeerBenchResult => ({
    date: '2026-11-30T00:00:00.000Z', face: 'node', userAgent: 'test', adapter: 'gpu X', full: false,
    rounds: { min: 3, max: 5, budgetMs: 0 },
    peers: [
      { name: 'tfjs', label: '@tensorflow/tfjs 4.22.0 (webgpu)', adapter: 'gpu X', stepIs: 'variableGrads', error: null },
      { name: 'jax-js', label: 'jax-js', adapter: null, stepIs: null, error: 'no webgpu device' },
    ],
    ceiling: { gflops: s(100), accumulators: 4, byAccumulators: { 4: 100 }, groups: 2048, barrierNs: { wg64: s(10), wg256: s(20) }, emptyDispatchUs: s(5) },
    matmul: [{
      shape: { M: 100, K: 100, N: 100 }, flops: 2e6, perCall: 1, chosen: 'tiled 64×64', chooser: null,
      contenders: [
        { name: 'gradscope tiled 64×64', ours: true, outcome: { status: 'timed', ms: s(0.1, 0.05, 0.2), error: 1e-7 } }, // 20 GFLOP/s
        { name: 'tfjs', ours: false, outcome: { status: 'timed', ms: s(0.4), error: 1e-7 } },
        { name: 'jax-js', ours: false, outcome: { status: 'failed', reason: 'no webgpu device' } },
      ],
    }],
    steps: [{
      net: 'relu-he', description: 'L = 2', depth: 2, flops: 1e6, referenceLoss: 1, dispatchesPerLayer: 6,
      statisticsShare: s(0.125),
      contenders: [
        { name: 'gradscope', ours: true, outcome: { status: 'timed', ms: s(10), error: 0 } },
        { name: 'tfjs', ours: false, outcome: { status: 'mismatch', error: 0.5, reason: 'J = 2' } },
        { name: 'jax-js', ours: false, outcome: { status: 'failed', reason: 'no webgpu device' } },
      ],
    }],
  });

  it('prints medians with min–max, the ratios peer/ours and ours/ceiling, and the reasons as notes', () => {
    const lines = formatTable(result()).split('\n');
    const line = (start: string) => lines.find((l) => l.trimStart().startsWith(start)) ?? '';
    expect(line('multiply-add ceiling')).toContain('100 [100–100]');
    const product = line('100×100×100');
    expect(product).toContain('0.100 [0.0500–0.200]');
    expect(product).toMatch(/4\.00×\s+0\.200×$/); // tfjs 4× slower; 20 of 100 GFLOP/s
    expect(line('GFLOP/s')).toContain('20.0 [10.0–40.0]'); // the rate's min is the time's max
    const step = lines.find((l) => /^\s+step\s/.test(l)) ?? '';
    expect(step).toContain('10.0 [10.0–10.0]');
    expect(step).toContain('✗ mismatch [');
    expect(step).toMatch(/0\.00100×$/); // 1e6 flops in 10 ms = 0.1 GFLOP/s of 100
    expect(line('statistics')).toContain('12.5 [12.5–12.5]');
    expect(lines.some((l) => /^\[\d\] tfjs: result does not match float64: J = 2$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\[\d\] jax-js: no webgpu device$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('jax-js: cannot run here: no webgpu device'))).toBe(true);
  });
  it('the same note is numbered once; no ceiling, no ratio to it', () => {
    const r = result();
    r.ceiling = { error: 'no timestamp' };
    const text = formatTable(r);
    expect(text.match(/jax-js: no webgpu device$/gm)).toHaveLength(1);
    expect(text).toContain('ceiling: no timestamp');
    expect(text.split('\n').find((l) => l.trimStart().startsWith('100×100×100'))).toMatch(/4\.00×$/);
  });
});

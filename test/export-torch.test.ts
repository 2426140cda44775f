/**
 * --export-torch DIR (src/cli/export-torch.ts, the pure builder src/session/export-torch.ts, src/session/experiment.py):
 * the files it writes, and the exported PyTorch script run with Debian's python3-torch (/usr/bin/python3) against
 * gradscope itself:
 * - `--same-numbers --dtype float64` against the CPU reference (`--backend cpu`): every statistic of every tensor
 *   of every layer within 1e-10 (mean, std, min, max relative to the tensor's rms; rms and l2 relative to themselves;
 *   log10 fields absolute; counts and zeroFraction exact) — both are float64 on the same float32 numbers, so they
 *   differ only by summation order (≈ 1e-14 measured);
 * - `--same-numbers --dtype float32` against the WebGPU engine (`--backend webgpu`, Dawn on SwiftShader here)
 *   within 1e-4 (the tolerance of test/network-gpu.test.ts: two float32 computations, each ≈ 2L·√n·6e-8 from exact);
 * - the fresh mode: every initialiser drawn by torch.nn.init with the std or bound gradscope's layerDraw gives;
 * - `torchrun --nproc_per_node 2` (gloo) over 8 seeds: the quantiles' JSON shape and order, and the median, p10 and
 *   p90 against those of 8 separate single-seed runs of the script;
 * - training (--steps 20, sgd, momentum, adam): the script's training document and final weights against gradscope's
 *   Trainer on the CPU reference (float64, 1e-10) and the WebGPU engine (float32, 1e-4), a spoilt hyperparameter
 *   caught, a divergence reported alike, the CLI's files equal to the builder's (tolerances at that block).
 * The torch tests are skipped, saying why, only where /usr/bin/python3 cannot import torch and numpy
 * (scripts/setup.sh --browser installs python3-torch and python3-numpy).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DIGITS_CLASSES, INIT_NAMES, optimizerOf, resolveConfig, widthsOf, type InitName, type RawConfig, type RunConfig } from '../src/model/config';
import { hostLayer, layerDraw } from '../src/model/init';
import { TENSOR_NAMES, type TensorName } from '../src/model/network';
import { parseJsonNumber } from '../src/model/result';
import { makeBatch, shapeOf, weightsOf } from '../src/session/problem';
import { STAT_NAMES, type StatName } from '../src/stats/stats';
import type { TorchManifest } from '../src/cli/export-torch';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { loadDigits } from '../src/data/digits';
import { Minibatches, stratifiedSplit } from '../src/data/split';
import type { OptimizerName } from '../src/model/optimizers';
import { buildTorchExport, type TorchOptimizer } from '../src/session/export-torch';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { compareTraining, trainGradscope, trainTorch, weightsAgreement, writeExport, type TrainingAgreement, type TrainingJson } from './helpers/torch-training';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITE_NODE = join(ROOT, 'node_modules/.bin/vite-node');
/** Debian's interpreter, with python3-torch and python3-numpy (a python3 earlier on PATH may lack them). */
const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
const HAS_TORCH = probe.status === 0;
const SKIP_REASON = `${PYTHON} cannot import torch and numpy (apt-get install python3-torch python3-numpy, as scripts/setup.sh --browser does)`;
if (!HAS_TORCH) console.warn(`test/export-torch.test.ts: the PyTorch tests are skipped: ${SKIP_REASON}`);
const torchNote = (name: string) => (HAS_TORCH ? name : `${name} — SKIPPED: ${SKIP_REASON}`);

const dir = mkdtempSync(join(tmpdir(), 'gradscope-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Per test: the torch tests start several Python processes (≈ 1 s each to import torch), more on a loaded machine. */
const SLOW = { timeout: 600_000 };
/** The children's environment: the CLI's timing cache in the test's folder; one thread each, for two at a time. */
const ENV: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), OMP_NUM_THREADS: '1' };

interface Outcome { code: number | null; stdout: string; stderr: string }

/** Run a command to its end, collecting its output. */
function run(cmd: string, args: readonly string[], cwd = ROOT): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const cli = (args: readonly string[]) => run(VITE_NODE, ['src/cli/main.ts', '--', ...args]);

/** Run the exported script; @throws with its stderr if it fails. */
async function python(script: string, args: readonly string[]): Promise<void> {
  const r = await run(PYTHON, [script, ...args]);
  if (r.code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
}

/** At most `limit` promises of `tasks` at a time (the test machines have two cores). */
async function pooled<T>(tasks: (() => Promise<T>)[], limit = 2): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

type JsonNumber = number | string;
type StatsJson = Record<StatName, JsonNumber> & { log10: Record<'rms' | 'l2' | 'maxAbs', JsonNumber> };
type LayerJson = { layer: number; fanIn: number; fanOut: number } & Record<TensorName, StatsJson>;
interface ResultJson {
  config: RunConfig; backend: string; adapter: string; loss: JsonNumber;
  firstNonFinite: unknown; firstAllZero: unknown; stepMs: number; layers: LayerJson[];
}
interface Triple { median: JsonNumber; p10: JsonNumber; p90: JsonNumber }
type SeedsTensor = Record<StatName, Triple> & { log10: Record<'rms' | 'l2' | 'maxAbs', Triple> };
interface SeedsJson { config: RunConfig; backend: string; adapter: string; seeds: { count: number; layers: ({ layer: number } & Record<TensorName, SeedsTensor>)[] } }

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const LOG10 = ['rms', 'l2', 'maxAbs'] as const;

/** Whether two numbers agree: NaN with NaN, ±∞ with itself, finite within `tol`. */
function agree(got: number, want: number, tol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Number.isFinite(got) && Math.abs(got - want) <= tol;
}

/**
 * Every statistic of `got` against `ref`: mean, std, min, max relative to the tensor's rms, rms and l2 relative to
 * themselves, log10 fields absolute (an error δ relative in rms is δ/ln 10 in log10 rms), counts and zeroFraction
 * exact; the loss relative. @returns the mismatches (at most 10) and the largest difference of each statistic.
 */
function compare(got: ResultJson, ref: ResultJson, tol: number): { failures: string[]; worst: Record<string, number> } {
  const failures: string[] = [];
  const worst: Record<string, number> = {};
  const check = (what: string, key: string, g: JsonNumber, r: JsonNumber, scale: number | null) => {
    const [gv, rv] = [parseJsonNumber(g), parseJsonNumber(r)];
    const exact = scale === null;
    const t = exact ? 0 : tol * scale;
    if (!agree(gv, rv, t)) {
      if (failures.length < 10) failures.push(`${what}: got ${g}, want ${r} (tolerance ${t})`);
    } else if (Number.isFinite(rv) && !exact) {
      worst[key] = Math.max(worst[key] ?? 0, scale === 0 ? Math.abs(gv - rv) : Math.abs(gv - rv) / scale);
    }
  };
  check('loss', 'loss', got.loss, ref.loss, Math.abs(parseJsonNumber(ref.loss)));
  expect(got.layers.map((l) => [l.layer, l.fanIn, l.fanOut])).toEqual(ref.layers.map((l) => [l.layer, l.fanIn, l.fanOut]));
  for (const [i, r] of ref.layers.entries()) {
    for (const t of TENSOR_NAMES) {
      const g = got.layers[i][t], s = r[t];
      const rms = parseJsonNumber(s.rms);
      for (const k of STAT_NAMES) {
        const what = `layer ${r.layer} ${t}.${k}`;
        if (k === 'count' || k === 'nanCount' || k === 'infCount' || k === 'zeroFraction') check(what, k, g[k], s[k], null);
        else check(what, k, g[k], s[k], k === 'rms' || k === 'l2' ? Math.abs(parseJsonNumber(s[k])) : rms);
      }
      for (const k of LOG10) check(`layer ${r.layer} ${t}.log10.${k}`, `log10.${k}`, g.log10[k], s.log10[k], 1);
    }
  }
  return { failures, worst };
}

/** The largest differences measured, one line for the test log (the numbers quoted in reports). */
function summary(worst: Record<string, number>): string {
  return Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ');
}

function expectSameRun(got: ResultJson, ref: ResultJson, tol: number, label: string): void {
  expect(got.backend).toBe('pytorch');
  expect(got.config).toEqual(ref.config);
  expect(got.firstNonFinite).toEqual(ref.firstNonFinite);
  expect(got.firstAllZero).toEqual(ref.firstAllZero);
  const { failures, worst } = compare(got, ref, tol);
  console.info(`${label}: largest differences ${summary(worst)}`);
  expect(failures).toEqual([]);
}

describe('--export-torch: the files', () => {
  it('--help lists --export-torch', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('--export-torch <dir>');
  });

  it('writes the script, the manifest and the exact float32 weights and batch, and runs nothing', async () => {
    // Per-layer widths (fan-in ≠ fan-out) and an initialiser with a normal draw; gaussian input with labels.
    const raw: RawConfig = { widths: '5,7,3,4', input: 'gaussian', batch: 6, activation: 'tanh', init: 'lecun_normal', loss: 'softmax-xent', bias: 0.25, seed: 9 };
    const out = join(dir, 'files', 'nested'); // created with its parents
    const r = await cli(['--widths', '5,7,3,4', '--input', 'gaussian', '--batch', '6', '--activation', 'tanh', '--init', 'lecun_normal',
      '--loss', 'softmax-xent', '--bias', '0.25', '--seed', '9', '--export-torch', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`exported the experiment to ${out}`);
    expect(r.stdout).toContain('--same-numbers');
    expect(r.stdout).not.toMatch(/^gradscope {2}backend/m); // no run: no result header, no table
    const cfg = resolveConfig(raw);
    const widths = widthsOf(cfg), L = widths.length - 1, m = cfg.batch;
    const files = ['experiment.py', 'manifest.json', 'x.bin', 'y.bin', 'labels.bin'];
    for (let l = 1; l <= L; l++) files.push(`W${l}.bin`, `b${l}.bin`);
    expect(readdirSync(out).sort()).toEqual(files.sort());
    expect(statSync(join(out, 'experiment.py')).mode & 0o111).not.toBe(0);
    const manifest = readJson<TorchManifest>(join(out, 'manifest.json'));
    expect(manifest.config).toEqual(cfg);
    expect(manifest.widths).toEqual(widths);
    expect(manifest.byteOrder).toBe('little');
    expect(manifest.gradscope.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.digits).toBeNull();
    const f32 = (file: string) => new Float32Array(new Uint8Array(readFileSync(join(out, file))).buffer);
    const spec = weightsOf(cfg);
    for (let l = 1; l <= L; l++) {
      const { W, b } = hostLayer(spec, l, widths[l], widths[l - 1]);
      const entry = manifest.weights[l - 1];
      expect(entry).toEqual({ layer: l, W: { file: `W${l}.bin`, shape: [widths[l], widths[l - 1]], dtype: 'float32' }, b: { file: `b${l}.bin`, shape: [widths[l]], dtype: 'float32' } });
      expect(f32(entry.W.file)).toEqual(W);
      expect(f32(entry.b.file)).toEqual(b);
    }
    const batch = makeBatch(cfg, shapeOf(cfg));
    expect(manifest.x).toEqual({ file: 'x.bin', shape: [widths[0], m], dtype: 'float32' });
    expect(manifest.y).toEqual({ file: 'y.bin', shape: [widths[L], m], dtype: 'float32' });
    expect(manifest.labels).toEqual({ file: 'labels.bin', shape: [m], dtype: 'uint32' });
    expect(f32('x.bin')).toEqual(batch.X);
    expect(f32('y.bin')).toEqual(batch.Y);
    expect(new Uint32Array(new Uint8Array(readFileSync(join(out, 'labels.bin'))).buffer)).toEqual(batch.labels);
  });

  it('digits: the data set goes with the export (digits.bin 1797×64, digits-labels.bin)', async () => {
    const out = join(dir, 'digits');
    const r = await cli(['--preset', 'hourglass', '--export-torch', out]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = readJson<TorchManifest>(join(out, 'manifest.json'));
    expect(manifest.digits).toEqual({
      features: { file: 'digits.bin', shape: [1797, 64], dtype: 'float32' },
      labels: { file: 'digits-labels.bin', shape: [1797], dtype: 'uint32' },
    });
    expect(statSync(join(out, 'digits.bin')).size).toBe(1797 * 64 * 4);
  });

  it('the builder (src/session/export-torch.ts) imports nothing of Node, so the GUI can build the same export', () => {
    // Its module graph, by following relative imports (type-only imports and Vite's ?raw / ?inline assets aside).
    const seen = new Set<string>(), packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)(?! type)[^;]*?from '([^']+)'/gm)) {
        const spec = m[1];
        if (!spec.startsWith('.')) packages.add(spec);
        else if (!spec.includes('?')) visit([`${join(file, '..', spec)}.ts`, join(file, '..', spec)].find((f) => existsSync(f) && statSync(f).isFile())!);
      }
    };
    visit(join(ROOT, 'src/session/export-torch.ts'));
    expect(seen.size).toBeGreaterThan(5);
    expect([...packages].filter((p) => p.startsWith('node:') || ['fs', 'path', 'os', 'child_process'].includes(p))).toEqual([]);
    expect([...seen].filter((f) => f.includes('/src/cli/') || f.includes('/backends/webgpu/'))).toEqual([]);
  });

  it.each([
    { args: ['--export-torch', '__FILE__'], says: ['--export-torch', 'not a folder'] },
    { args: ['--plan', '--export-torch', join(dir, 'plan')], says: ['--export-torch', '--plan'] },
    { args: ['--export-torch'], says: ['--export-torch', 'folder path'] },
    { args: ['--steps', '1000000', '--batch', '512', '--export-torch', join(dir, 'huge')], says: ['--export-torch', 'GiB', '--steps 1000000'] },
  ])('$args exits 2 with one line naming --export-torch', async ({ args, says }) => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const r = await cli(args.map((a) => (a === '__FILE__' ? file : a)));
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('gradscope:'));
    expect(lines, r.stderr).toHaveLength(1);
    for (const s of says) expect(lines[0]).toContain(s);
    expect(existsSync(join(dir, 'plan'))).toBe(false);
    expect(existsSync(join(dir, 'huge'))).toBe(false); // checked before anything is written
  });
});

/**
 * The presets of the issue, and the depths of the float32 comparison. relu-he's float32 comparison runs at L = 10:
 * at L = 50 (seed 1) one element of z^[47] is 6.7e-7, 1.2e-6 of the layer's rms away from 0, inside float32's
 * rounding of its dot product, and torch's float32 sum puts it at ≤ 0 where the GPU's (and float64) put it above;
 * ReLU then passes or blocks its gradient, and dW of the layers below differs by up to 0.7% between the two float32
 * runs (each is a correct float32 computation; float64 agrees to 1e-13 at L = 50 below).
 */
const PRESETS: { preset: string; float32Depth?: number }[] = [
  { preset: 'relu-he', float32Depth: 10 },
  { preset: 'tanh-xavier' },
  { preset: 'seed-explode' },
];

describe.skipIf(!HAS_TORCH)(torchNote('the exported script against gradscope (--same-numbers)'), () => {
  for (const { preset, float32Depth } of PRESETS) {
    it(`${preset}: float64 equals the CPU reference (--backend cpu) within 1e-10`, SLOW, async () => {
      const out = join(dir, `${preset}-64`), ref = join(dir, `${preset}-cpu.json`), got = join(dir, `${preset}-torch64.json`);
      const r = await cli(['--preset', preset, '--backend', 'cpu', '--export-torch', out, '--json', ref]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^gradscope {2}backend cpu/m); // --json: the run follows the export
      await python(join(out, 'experiment.py'), ['--same-numbers', '--dtype', 'float64', '--json', got]);
      const doc = readJson<ResultJson>(got);
      expect(doc.adapter).toMatch(/^torch \S+ cpu float64, exported weights$/);
      expectSameRun(doc, readJson<ResultJson>(ref), 1e-10, `${preset} float64 vs --backend cpu`);
    });

    const depth = float32Depth === undefined ? [] : ['--depth', String(float32Depth)];
    it(`${preset}${depth.length ? ` at L = ${float32Depth}` : ''}: float32 equals the WebGPU engine (--backend webgpu) within 1e-4`, SLOW, async () => {
      const out = join(dir, `${preset}-32`), ref = join(dir, `${preset}-webgpu.json`), got = join(dir, `${preset}-torch32.json`);
      const r = await cli(['--preset', preset, ...depth, '--backend', 'webgpu', '--export-torch', out, '--json', ref]);
      expect(r.code, r.stderr).toBe(0);
      const gpu = readJson<ResultJson>(ref);
      expect(gpu.backend).toBe('webgpu'); // a fallback to the CPU would compare nothing with the GPU
      await python(join(out, 'experiment.py'), ['--same-numbers', '--dtype', 'float32', '--json', got]);
      const doc = readJson<ResultJson>(got);
      expect(doc.adapter).toMatch(/^torch \S+ cpu float32, exported weights$/);
      expectSameRun(doc, gpu, 1e-4, `${preset}${depth.length ? ` L=${float32Depth}` : ''} float32 vs --backend webgpu`);
    });
  }
});

/** Sampling tolerance of an empirical std over n draws: 5 standard errors of σ/√(2n) (normal; a uniform's is lower). */
const stdTolerance = (sigma: number, n: number) => (5 * sigma) / Math.sqrt(2 * n);

describe.skipIf(!HAS_TORCH)(torchNote('the exported script, fresh torch.nn.init weights'), () => {
  /** Per-layer widths, so that fan_in, fan_out and their mean differ: Glorot, He (fan_in, fan_out) and LeCun differ. */
  const BASE = ['--widths', '64,256,128,32', '--input', 'gaussian', '--batch', '4', '--activation', 'tanh', '--loss', 'mse'];
  const PARAMS: Record<InitName, RawConfig> = {
    zeros: {}, constant: { value: 0.3 }, identity: { gain: 1.5 }, normal: { mean: 0.2, std: 0.7 }, uniform: { low: -0.2, high: 0.6 },
    xavier_normal: {}, xavier_uniform: { gain: 2 }, kaiming_normal: { mode: 'fan_out' }, kaiming_uniform: { gain: 0.5 },
    lecun_normal: {}, lecun_uniform: { gain: 2 }, orthogonal: { gain: 1.3 },
  };

  it('every initialiser: W^[l] drawn as gradscope\'s layerDraw says (std, bounds, gain·I, orthogonal rows)', SLOW, async () => {
    const out = join(dir, 'fresh');
    const r = await cli([...BASE, '--export-torch', out]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = readJson<TorchManifest>(join(out, 'manifest.json'));
    const cases = INIT_NAMES.map((init) => {
      const cfg = resolveConfig({ widths: '64,256,128,32', input: 'gaussian', batch: 4, activation: 'tanh', loss: 'mse', init, ...PARAMS[init] });
      const sub = join(out, init);
      mkdirSync(sub, { recursive: true });
      copyFileSync(join(out, 'experiment.py'), join(sub, 'experiment.py'));
      writeFileSync(join(sub, 'manifest.json'), JSON.stringify({ ...manifest, config: cfg }));
      return { init, cfg, sub };
    });
    await pooled(cases.map(({ sub }) => () => python(join(sub, 'experiment.py'), ['--dtype', 'float64', '--seed', '5', '--json', join(sub, 'r.json')])));
    for (const { init, cfg, sub } of cases) {
      const doc = readJson<ResultJson>(join(sub, 'r.json'));
      expect(doc.adapter).toMatch(/torch\.nn\.init weights$/);
      expect(doc.config).toEqual({ ...cfg, seed: 5 });
      for (const layer of doc.layers) {
        const s = layer.W, fo = layer.fanOut, fi = layer.fanIn, n = fo * fi;
        const [mean, std, min, max, rms] = [s.mean, s.std, s.min, s.max, s.rms].map(parseJsonNumber);
        const what = `${init} W^[${layer.layer}] (${fo}×${fi})`;
        const d = layerDraw(init, fo, fi, { ...cfg });
        if (d.kind === 'normal' || d.kind === 'uniform') {
          const [mu, sigma] = d.kind === 'normal' ? [d.a, d.b] : [(d.a + d.b) / 2, (d.b - d.a) / Math.sqrt(12)];
          expect(Math.abs(mean - mu), `${what} mean ${mean} vs ${mu}`).toBeLessThanOrEqual((5 * sigma) / Math.sqrt(n));
          expect(Math.abs(std - sigma), `${what} std ${std} vs ${sigma}`).toBeLessThanOrEqual(stdTolerance(sigma, n));
          if (d.kind === 'uniform') expect(min >= d.a && max <= d.b, `${what} in [${d.a}, ${d.b}]: ${min}..${max}`).toBe(true);
        } else if (d.kind === 'orthogonal') {
          // Orthonormal rows (fo ≤ fi) or columns times gain: Σ w² = gain²·min(fo, fi) exactly.
          expect(Math.abs(rms - d.gain * Math.sqrt(Math.min(fo, fi) / n)), what).toBeLessThan(1e-12);
        } else if (d.kind === 'identity') {
          // gain on the main diagonal of the (fo, fi) matrix (torch.nn.init.eye_), 0 elsewhere.
          expect([min, max], what).toEqual([0, d.a]);
          expect(s.zeroFraction, what).toBe(1 - Math.min(fo, fi) / n);
        } else {
          expect([min, max], what).toEqual([d.a, d.a]);
        }
      }
    }
  });

  it('--depth, --width, --batch, --seed override the manifest; a seed draws the same numbers twice, another seed others', SLOW, async () => {
    const out = join(dir, 'fresh-overrides');
    const r = await cli(['--preset', 'relu-he', '--export-torch', out]);
    expect(r.code, r.stderr).toBe(0);
    const script = join(out, 'experiment.py');
    const args = (seed: number, file: string) => ['--depth', '5', '--width', '40', '--batch', '3', '--seed', String(seed), '--json', join(out, file)];
    await pooled([() => python(script, args(7, 'a.json')), () => python(script, args(7, 'b.json')), () => python(script, args(8, 'c.json'))]);
    const [a, b, c] = ['a.json', 'b.json', 'c.json'].map((f) => readJson<ResultJson>(join(out, f)));
    expect(a.config).toMatchObject({ preset: 'relu-he', depth: 5, width: 40, batch: 3, seed: 7, widths: null });
    expect(a.layers.map((l) => [l.fanIn, l.fanOut])).toEqual([[64, 40], [40, 40], [40, 40], [40, 40], [40, 10]]);
    expect(a.layers[0].z.count).toBe(40 * 3);
    expect(a.layers.map((l) => l.W)).toEqual(b.layers.map((l) => l.W));
    expect(a.loss).toBe(b.loss);
    expect(c.layers[0].W.rms).not.toBe(a.layers[0].W.rms);
  });
});

/** A TCP port free on this machine now (for torchrun's rendezvous). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * torchrun's command: /usr/bin/torchrun, or `python3 -m torch.distributed.run` where it is missing. Debian's
 * torch 1.13 on Python 3.11 parses its default --redirects 0 / --tee 0 to None (Std.from_str iterates an IntFlag,
 * which no longer yields the zero member on 3.11) and fails before starting a worker; there the test passes
 * --redirects 1 --tee 1 (stdout into torchrun's log folder and the console), values that parse.
 */
function torchrun(): string[] {
  const base = existsSync('/usr/bin/torchrun') ? ['/usr/bin/torchrun'] : [PYTHON, '-m', 'torch.distributed.run'];
  const parse = spawnSync(PYTHON, ['-c', 'from torch.distributed.elastic.multiprocessing.api import Std; print(Std.from_str("0"))'], { encoding: 'utf8' });
  const broken = parse.stdout.trim() === 'None';
  return broken ? [...base, '--redirects', '1', '--tee', '1', '--log_dir', join(dir, 'torchrun-logs')] : base;
}

/** Quantile p of sorted finite values, linear between order statistics (numpy's default, type 7). */
function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p, lo = Math.floor(h);
  return lo + 1 < sorted.length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

describe.skipIf(!HAS_TORCH)(torchNote('the exported script at scale: torchrun over seeds'), () => {
  it('torchrun --nproc_per_node 2 (gloo) over 8 seeds: quantiles ordered, equal to those of 8 single-seed runs', SLOW, async () => {
    // relu-he at L = 10 (float64): the 8 + 1 runs stay within seconds.
    const out = join(dir, 'seeds');
    const r = await cli(['--preset', 'relu-he', '--depth', '10', '--export-torch', out]);
    expect(r.code, r.stderr).toBe(0);
    const script = join(out, 'experiment.py');
    const [cmd, ...pre] = torchrun();
    const port = await freePort();
    const t = await run(cmd, [...pre, '--nnodes', '1', '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(port),
      script, '--dtype', 'float64', '--seeds', '0-7', '--json', join(out, 'seeds.json')]);
    expect(t.code, t.stderr.slice(-3000)).toBe(0);
    const doc = readJson<SeedsJson>(join(out, 'seeds.json'));
    expect(doc.backend).toBe('pytorch');
    expect(doc.adapter).toMatch(/×2 processes \(gloo\)$/);
    expect(Object.keys(doc)).toEqual(['config', 'backend', 'adapter', 'seeds']);
    expect(Object.keys(doc.seeds)).toEqual(['count', 'layers']);
    expect(doc.seeds.count).toBe(8);
    expect(doc.seeds.layers.map((l) => l.layer)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    for (const layer of doc.seeds.layers) {
      expect(Object.keys(layer)).toEqual(['layer', ...TENSOR_NAMES]);
      for (const t of TENSOR_NAMES) {
        expect(Object.keys(layer[t])).toEqual([...STAT_NAMES, 'log10']);
        expect(Object.keys(layer[t].log10)).toEqual([...LOG10]);
        for (const q of [...STAT_NAMES.map((k) => layer[t][k]), ...LOG10.map((k) => layer[t].log10[k])]) {
          expect(Object.keys(q)).toEqual(['median', 'p10', 'p90']);
          const [median, p10, p90] = [q.median, q.p10, q.p90].map(parseJsonNumber);
          expect(p10 <= median && median <= p90, `layer ${layer.layer} ${t}: p10 ${p10} ≤ median ${median} ≤ p90 ${p90}`).toBe(true);
        }
      }
    }
    // The independent check: 8 runs of one seed each, and the quantiles computed here.
    await pooled(Array.from({ length: 8 }, (_, k) => () => python(script, ['--dtype', 'float64', '--seed', String(k), '--json', join(out, `seed${k}.json`)])));
    const single = Array.from({ length: 8 }, (_, k) => readJson<ResultJson>(join(out, `seed${k}.json`)));
    let worst = 0;
    for (const layer of doc.seeds.layers) {
      for (const t of TENSOR_NAMES) {
        const stats: [string, (d: ResultJson) => JsonNumber, Triple][] = [
          ...STAT_NAMES.map((k): [string, (d: ResultJson) => JsonNumber, Triple] => [k, (d) => d.layers[layer.layer - 1][t][k], layer[t][k]]),
          ...LOG10.map((k): [string, (d: ResultJson) => JsonNumber, Triple] => [`log10.${k}`, (d) => d.layers[layer.layer - 1][t].log10[k], layer[t].log10[k]]),
        ];
        for (const [name, of, q] of stats) {
          const values = single.map((d) => parseJsonNumber(of(d))).sort((x, y) => x - y);
          expect(values.every(Number.isFinite), `layer ${layer.layer} ${t}.${name}`).toBe(true);
          for (const [p, key] of [[0.5, 'median'], [0.1, 'p10'], [0.9, 'p90']] as const) {
            const want = quantile(values, p), got = parseJsonNumber(q[key]);
            // Same draws, same arithmetic; only the BLAS's thread count (1 under torchrun) may change the sums' order.
            const diff = Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);
            worst = Math.max(worst, diff);
            expect(diff, `layer ${layer.layer} ${t}.${name} ${key}: ${got} vs ${want} from single runs`).toBeLessThanOrEqual(1e-9);
          }
        }
      }
    }
    console.info(`torchrun 2 processes × 8 seeds vs 8 single runs: largest relative difference of a quantile ${worst.toExponential(1)}`);
  });
});

/**
 * Training (--steps N): the export carries the split, the minibatch indices of every step and the optimiser as
 * torch.optim builds it; the script trains with them. A small network (L = 4, n = 16, m = 16, ReLU, He) for 20 steps,
 * evaluated every 7 (steps 0, 7, 14, 20), with each optimiser's hyperparameters away from their defaults so that a
 * hyperparameter the export dropped or misnamed shows. Tolerances:
 * - float64 against the CPU reference: 1e-10 relative for every evaluation's loss, every record (minibatch loss,
 *   rms(a^[l]), rms(dW^[l])), the last step's statistics (as compareTraining measures them) and the final W, b
 *   (‖ΔW‖_F/‖W‖_F); accuracies exact. Both are float64 on the same float32 numbers (≈ 1e-15 measured).
 * - float32 against the WebGPU engine: 1e-4 relative (the single step's tolerance; ≈ 3e-6 measured for the last
 *   step's statistics, ≈ 3e-7 for records, 2e-7 for weights), 1e-5 for the final W and b (the issue's CPU = GPU bound),
 *   accuracy within 1 example (a prediction whose two best classes are within float32 rounding may flip).
 * - the control: the same export with one hyperparameter changed in manifest.json's torchOptimizer (sgd's lr 2%
 *   higher, momentum's μ 0.8 → 0.9, adam's betas dropped to torch's default (0.9, 0.999)) must be more than 1e-3
 *   away from the CPU reference, ten times the float32 tolerance: the comparison sees a wrong optimiser (measured
 *   5e-2, 3e-1 and 1e-1; 3e-3 with β₂ alone changed).
 */
describe.skipIf(!HAS_TORCH)(torchNote('training: the exported script against gradscope\'s Trainer (--steps)'), () => {
  afterAll(releaseGpu);
  const BASE: RawConfig = { depth: 4, width: 16, batch: 16, activation: 'relu', init: 'kaiming_normal', loss: 'softmax-xent', steps: 20, evalEvery: 7, seed: 3 };
  const EVALUATED = [0, 7, 14, 20];
  type Kwargs = Record<string, unknown>;
  const CASES: { optimizer: OptimizerName; raw: RawConfig; torch: TorchOptimizer; wrong: string; spoil: (k: Kwargs) => void }[] = [
    {
      optimizer: 'sgd', raw: { lr: 0.05, weightDecay: 0.01 },
      torch: { class: 'SGD', kwargs: { lr: 0.05, momentum: 0, dampening: 0, weight_decay: 0.01, nesterov: false } },
      wrong: 'lr 0.05 → 0.051', spoil: (k) => { k.lr = 0.051; },
    },
    {
      optimizer: 'momentum', raw: { lr: 0.02, momentum: 0.8, weightDecay: 0.001 },
      torch: { class: 'SGD', kwargs: { lr: 0.02, momentum: 0.8, dampening: 0, weight_decay: 0.001, nesterov: false } },
      wrong: 'momentum 0.8 → 0.9', spoil: (k) => { k.momentum = 0.9; },
    },
    {
      optimizer: 'adam', raw: { lr: 0.003, beta1: 0.85, beta2: 0.99, eps: 1e-6, weightDecay: 0.01 },
      torch: { class: 'Adam', kwargs: { lr: 0.003, betas: [0.85, 0.99], eps: 1e-6, weight_decay: 0.01, amsgrad: false } },
      wrong: 'betas (0.85, 0.99) → torch\'s default (0.9, 0.999)', spoil: (k) => { k.betas = [0.9, 0.999]; },
    },
  ];
  const fmt = (a: TrainingAgreement, w: { W: number; b: number }) =>
    `eval loss ${a.evalLoss.toExponential(1)}, accuracy ${a.accuracyExamples} examples, step loss ${a.recordLoss.toExponential(1)}, `
    + `rms a ${a.rmsA.toExponential(1)}, rms dW ${a.rmsDW.toExponential(1)}, last stats ${a.last.toExponential(1)}, `
    + `final W ${w.W.toExponential(1)}, b ${w.b.toExponential(1)}`;
  /** Every difference of `a` and `w` within `tol` (weights within `weightTol`), accuracy within `examples`. */
  const expectWithin = (a: TrainingAgreement, w: { W: number; b: number }, tol: number, weightTol: number, examples: number, label: string) => {
    expect(a.mismatches, label).toEqual([]);
    for (const [k, v] of Object.entries({ evalLoss: a.evalLoss, recordLoss: a.recordLoss, rmsA: a.rmsA, rmsDW: a.rmsDW, last: a.last })) {
      expect(v, `${label}: ${k}`).toBeLessThanOrEqual(tol);
    }
    expect(a.accuracyExamples, `${label}: accuracy (examples)`).toBeLessThanOrEqual(examples);
    expect(w.W, `${label}: final W`).toBeLessThanOrEqual(weightTol);
    expect(w.b, `${label}: final b`).toBeLessThanOrEqual(weightTol);
  };

  for (const { optimizer, raw, torch, wrong, spoil } of CASES) {
    it(`${optimizer}: float64 = the CPU reference within 1e-10, float32 = the WebGPU engine within 1e-4; ${wrong} is caught`, SLOW, async () => {
      const cfg = resolveConfig({ ...BASE, optimizer, ...raw });
      const L = widthsOf(cfg).length - 1;
      const out = join(dir, `train-${optimizer}`), bad = join(dir, `train-${optimizer}-wrong`);
      writeExport(cfg, out);
      const manifest = readJson<TorchManifest>(join(out, 'manifest.json'));
      expect(manifest.format).toBe('gradscope-torch-export/2');
      expect(manifest.training?.torchOptimizer).toEqual(torch);
      writeExport(cfg, bad);
      const spoilt = readJson<TorchManifest>(join(bad, 'manifest.json'));
      spoil(spoilt.training!.torchOptimizer.kwargs as unknown as Kwargs);
      writeFileSync(join(bad, 'manifest.json'), JSON.stringify(spoilt));

      const torchRuns = pooled([() => trainTorch(out, 'float64', L), () => trainTorch(out, 'float32', L), () => trainTorch(bad, 'float64', L)]);
      const cpu = await trainGradscope(cfg, new CpuBackend());
      const gpu = await trainGradscope(cfg, await gpuBackend());
      const [t64, t32, spoiled] = await torchRuns;
      expect(gpu.doc.backend).toBe('webgpu');
      for (const [doc, dtype] of [[t64.doc, 'float64'], [t32.doc, 'float32']] as const) {
        expect(Object.keys(doc)).toEqual(Object.keys(cpu.doc)); // trainingJson's keys, in its order
        expect(doc.backend).toBe('pytorch');
        expect(doc.adapter).toMatch(new RegExp(`^torch \\S+ cpu ${dtype}, exported weights and minibatches$`));
        expect(doc.config).toEqual(cpu.doc.config);
        expect(doc.evaluations.map((e) => e.step)).toEqual(EVALUATED);
        expect(doc.records.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }
      expect([cpu.doc.state, cpu.doc.steps]).toEqual(['done', 20]);

      const a64 = compareTraining(t64.doc, cpu.doc), w64 = weightsAgreement(t64.weights, cpu.weights);
      const a32 = compareTraining(t32.doc, gpu.doc), w32 = weightsAgreement(t32.weights, gpu.weights);
      const aBad = compareTraining(spoiled.doc, cpu.doc);
      console.info(`training ${optimizer} (L=4 n=16 m=16, 20 steps): torch float64 vs cpu: ${fmt(a64, w64)}\n`
        + `  torch float32 vs webgpu: ${fmt(a32, w32)}\n`
        + `  control, ${wrong}: largest record difference ${Math.max(aBad.recordLoss, aBad.rmsA, aBad.rmsDW).toExponential(1)} from step ${aBad.firstBeyond}`);
      expectWithin(a64, w64, 1e-10, 1e-10, 0, `${optimizer} float64 vs cpu`);
      expectWithin(a32, w32, 1e-4, 1e-5, 1, `${optimizer} float32 vs webgpu`);
      expect(aBad.mismatches).toEqual([]);
      expect(Math.max(aBad.evalLoss, aBad.recordLoss, aBad.rmsA, aBad.rmsDW), `${optimizer} with ${wrong}`).toBeGreaterThan(1e-3);
    });
  }

  it('divergence (mse, sgd η = 1): the same step, tensor and layer, the evaluation after it and the last step\'s NaN and ∞ counts (float64)', SLOW, async () => {
    const cfg = resolveConfig({ ...BASE, loss: 'mse', optimizer: 'sgd', lr: 1, steps: 30 });
    const out = join(dir, 'train-diverge');
    writeExport(cfg, out);
    const [t64, cpu] = await Promise.all([trainTorch(out, 'float64', 4), trainGradscope(cfg, new CpuBackend())]);
    expect(cpu.doc.state).toBe('diverged');
    expect(cpu.doc.divergence!.step).toBeLessThan(30); // measured: step 6, dA^[3]
    const a = compareTraining(t64.doc, cpu.doc);
    console.info(`training divergence: torch float64 vs cpu: ${fmt(a, { W: NaN, b: NaN })}`);
    expect(a.mismatches).toEqual([]); // state, steps, divergence, evaluated and recorded steps
    expect(t64.doc.evaluations.at(-1)!.step).toBe(cpu.doc.divergence!.step); // the parts evaluated once more
    expect(a.evalLoss).toBeLessThanOrEqual(1e-10); // NaN = NaN after the divergence, where the loss is NaN
    expect(a.last).toBeLessThanOrEqual(1e-10); // with the counts of NaN, ±∞ and zeros exact
    expect(Math.max(a.recordLoss, a.rmsA, a.rmsDW)).toBeLessThanOrEqual(1e-10);
  });

  it('the CLI writes the builder\'s files: split, minibatches (N × m, the Trainer\'s stream), the optimiser; the fresh mode trains', SLOW, async () => {
    const out = join(dir, 'train-cli');
    const r = await cli(['--depth', '4', '--width', '16', '--batch', '16', '--steps', '20', '--eval-every', '7', '--seed', '3', '--optimizer', 'adam',
      '--lr', '0.003', '--export-torch', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('20 steps as --backend cpu');
    const cfg = resolveConfig({ ...BASE, optimizer: 'adam', lr: 0.003 });
    const built = buildTorchExport(cfg);
    expect(readdirSync(out).sort()).toEqual(Object.keys(built).sort());
    for (const [path, data] of Object.entries(built)) {
      if (path === 'manifest.json') continue; // differs in gradscope.commit and .dirty (the CLI asks git)
      const want = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      expect(readFileSync(join(out, path)).equals(want), path).toBe(true);
    }
    const manifest = readJson<TorchManifest>(join(out, 'manifest.json'));
    expect({ ...manifest, gradscope: null }).toEqual({ ...(JSON.parse(built['manifest.json'] as string) as TorchManifest), gradscope: null });
    const t = manifest.training!;
    expect(t).toMatchObject({ steps: 20, evalEvery: 7, optimizer: optimizerOf(cfg),
      minibatches: { file: 'minibatches.bin', shape: [20, 16], dtype: 'uint32' },
      split: { train: { file: 'split-train.bin', shape: [1437], dtype: 'uint32' }, test: { file: 'split-test.bin', shape: [360], dtype: 'uint32' } } });
    const u32 = (file: string) => new Uint32Array(new Uint8Array(readFileSync(join(out, file))).buffer);
    const split = stratifiedSplit(loadDigits().labels, DIGITS_CLASSES, cfg.seed);
    expect(u32('split-train.bin')).toEqual(Uint32Array.from(split.train));
    expect(u32('split-test.bin')).toEqual(Uint32Array.from(split.test));
    const stream = new Minibatches(split.train, 16, cfg.seed);
    const rows = u32('minibatches.bin');
    for (let s = 0; s < 20; s++) expect(Array.from(rows.subarray(16 * s, 16 * s + 16)), `step ${s + 1}`).toEqual(Array.from(stream.nextIndices()));
    // Fresh weights and DataLoader-style minibatches, fewer steps than exported: the document of 5 steps.
    await python(join(out, 'experiment.py'), ['--dtype', 'float64', '--steps', '5', '--json', join(out, 'fresh.json')]);
    const fresh = readJson<TrainingJson>(join(out, 'fresh.json'));
    expect(fresh.adapter).toMatch(/torch\.nn\.init weights, shuffled minibatches$/);
    expect([fresh.state, fresh.steps, fresh.config.steps]).toEqual(['done', 5, 5]);
    expect(fresh.evaluations.map((e) => e.step)).toEqual([0, 5]);
    expect(fresh.last?.map((l) => [l.fanIn, l.fanOut])).toEqual([[64, 16], [16, 16], [16, 16], [16, 10]]);
  });
});

/**
 * `npm run bench`: how fast gradscope is, measured against something in the same run on the same adapter.
 *
 * Modes:
 * - `--peers` (also the default): gradscope against TensorFlow.js (tf.matMul, tf.variableGrads) and jax-js
 *   (np.matmul, jit(valueAndGrad)) on the same WebGPU adapter — the adapter's multiply-add ceiling, workgroupBarrier and empty
 *   dispatch costs; products at 128×64×128, 512³ and 1024³ (--full: also 128³, 127×513×257 and 1×4096×4096); whole
 *   steps of relu-he and seed-explode (--full: also a deep narrow net, L = 2,000, n = 8, m = 8, and a wide one,
 *   L = 16, n = 1024, m = 128), with gradscope's dispatches per layer and its statistics' share of a step.
 *   Every result is checked against the float64 CPU reference before it is timed (a mismatch is reported, not timed);
 *   contenders are timed in interleaved rounds (A B C A B C …; 3–5, fewer after 20 s) and reported as median
 *   [min–max]. Prints one table with the ratios ours/peer and ours/ceiling (only ratios are claims: on a machine
 *   without a GPU, SwiftShader's times are CPU times) and writes bench/results/<date>-<node|browser>.json. Code: bench/peers/.
 *     --browser        in headless Chromium (Playwright; Vite serves bench/browser/index.html) instead of Node (Dawn)
 *     --full           every shape and network above, 3–7 rounds (fewer after a minute): tens of minutes on a
 *                      software adapter (the default: minutes there, most of them 1024³; --shapes without it is
 *                      shorter)
 *     --rounds N       exactly N interleaved rounds per comparison
 *     --shapes LIST    only these products, e.g. 128x64x128,512x512x512
 *     --nets LIST      only these networks (relu-he, seed-explode, deep-narrow, wide)
 *     --all-kernels    time every matmul kernel of gradscope in the rounds (by default: the chooser's pick, the others
 *                      shown with the chooser's own timings)
 *     --only LIST      some of ceiling,matmul,step
 *     --chromium PATH  the browser to drive (default /usr/bin/chromium where it exists)
 * - `--presets [names] [--steps n]`: the WebGPU engine against the float64 CPU reference on the same problems. Prints,
 *   per preset, the median step time of each backend (milliseconds, wall clock from submit to statistics read back),
 *   their ratio, the largest GPU-vs-CPU relative error ‖gpu − cpu‖/‖cpu‖ of any full tensor (z, a, dA, dZ, dW, db of
 *   every layer), and the largest difference of any per-layer statistic relative to that tensor's rms (l2 relative
 *   to l2). `--steps` alone selects this mode with the default presets.
 * - `--depths 100,1000,10000`: the depth table (build, weights, step, bytes per layer) of the issue's network.
 * - `--phase [--phase-grid 24x24 --phase-net 50,128,16 --one-by-one 24]`: the phase diagram (tanh, issue 9 target)
 *   batched on the device against the same networks run one per submit sequence (the first --one-by-one of them), in
 *   ms per grid point.
 * On a machine without a GPU the WebGPU numbers are SwiftShader's (CPU) numbers: read the ratios, not the times.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import type { Backend } from '../src/backends/backend';
import { nodeGpu } from '../src/backends/webgpu/node-gpu';
import { WebGpuBackend } from '../src/backends/webgpu/webgpu-backend';
import { PRESET_NAMES, resolveConfig } from '../src/model/config';
import { TENSOR_NAMES } from '../src/model/network';
import { runStep } from '../src/session/run';
import { memoryOf, shapeOf } from '../src/session/problem';
import type { RunResult } from '../src/model/result';
import { installNavigatorGpu } from './peers/node-navigator';
import { netsFor, parseShape, roundsFor, runPeerBench, SECTIONS, type PeerBenchResult, type Section } from './peers/run';
import { formatTable } from './peers/table';
import { BENCH_NETS } from './peers/nets';
import { runPhaseGpu } from '../src/backends/webgpu/phase';
import { resolvePhaseOptions } from '../src/model/phase';
import { phaseSpec } from '../src/session/phase';

const DEFAULT_PRESETS = 'relu-he,tanh-xavier,seed-explode';
const opts = new Command()
  .option('--browser', 'the peer bench in headless Chromium instead of Node')
  .option('--peers', 'the peer bench (the default): gradscope, tfjs and jax-js on the same adapter')
  .option('--full', 'the peer bench with every shape and network (slow on a software adapter)')
  .option('--rounds <n>', 'the peer bench with exactly n interleaved rounds per comparison')
  .option('--shapes <list>', 'the peer bench\'s products, e.g. 128x64x128,512x512x512')
  .option('--nets <list>', `the peer bench's networks (${BENCH_NETS.map((n) => n.name).join(', ')})`)
  .option('--all-kernels', 'the peer bench times every matmul kernel of gradscope in its rounds, not only the chosen one')
  .option('--only <sections>', `the peer bench's sections to run (${SECTIONS.join(',')})`)
  .option('--chromium <path>', 'the Chromium to drive with --browser')
  .option('--presets [names]', `instead: WebGPU vs the CPU reference on these presets (${PRESET_NAMES.join(', ')}; default ${DEFAULT_PRESETS})`)
  .option('--steps <n>', 'timed steps per backend and preset (--presets), after one warm-up step')
  .option('--depths <list>', 'instead: the depth table (build, weights, step, bytes per layer) of the issue\'s network at these depths, e.g. 100,1000,10000')
  .option('--phase', 'instead: the phase diagram batched against one network at a time')
  .option('--phase-grid <CxR>', 'with --phase: the grid', '24x24')
  .option('--phase-net <L,n,m>', 'with --phase: depth, width, batch (tanh)', '50,128,16')
  .option('--one-by-one <k>', 'with --phase: networks run one at a time (the first k of the grid)', '24')
  .parse(process.argv.filter((a) => a !== '--'))
  .opts<{ peers?: boolean; browser?: boolean; full?: boolean; rounds?: string; shapes?: string; nets?: string; allKernels?: boolean; only?: string;
    chromium?: string; presets?: string | true; steps?: string; depths?: string; phase?: boolean; phaseGrid: string; phaseNet: string; oneByOne: string }>();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeSteps(backend: Backend, preset: string, steps: number): Promise<{ ms: number; last: RunResult }> {
  const cfg = resolveConfig({ preset });
  let last = await runStep(cfg, backend, {}, { keepAll: true }); // warm-up: builds buffers and pipelines
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    last = await runStep(cfg, backend, {}, { keepAll: true });
    times.push(last.stepMs);
  }
  return { ms: median(times), last };
}

/** max over tensors of ‖g − c‖₂/‖c‖₂ (NaN if any value is non-finite). */
async function worstTensorError(g: Backend, c: Backend): Promise<number> {
  const [tg, tc] = [await g.readTensors(), await c.readTensors()];
  let worst = 0;
  for (const k of ['z', 'a', 'dA', 'dZ', 'dW', 'db'] as const) {
    tc[k].forEach((ref, i) => {
      let num = 0, den = 0;
      for (let j = 0; j < ref.length; j++) { num += (tg[k][i][j] - ref[j]) ** 2; den += ref[j] ** 2; }
      const e = Math.sqrt(num / den);
      if (!(e <= worst)) worst = e;
    });
  }
  return worst;
}

function worstStatError(g: RunResult, c: RunResult): number {
  let worst = 0;
  g.layers.forEach((layer, i) => {
    for (const t of TENSOR_NAMES) {
      for (const k of ['mean', 'std', 'rms', 'l2', 'min', 'max'] as const) {
        const ref = c.layers[i][t];
        const e = Math.abs(layer[t][k] - ref[k]) / (k === 'l2' ? ref.l2 : ref.rms);
        if (!(e <= worst)) worst = e; // NaN propagates
      }
    }
  });
  return worst;
}

/**
 * The depth table: the network of the issue "Interactive at any depth" (tanh, orthogonal, n = 64, m = 32) at each
 * depth, in one run on one device: build (buffers, bind groups, dispatches; pipelines compiled by a warm-up first),
 * drawing the weights (orthogonal: a QR per layer on the host), one step, and the plan's bytes — each per layer, so a
 * flat column is cost linear in L.
 */
async function depthTable(webgpu: WebGpuBackend, depths: number[]): Promise<void> {
  const config = (depth: number) => resolveConfig({ depth, width: 64, batch: 32, input: 'gaussian', inputDim: 64, activation: 'tanh', init: 'orthogonal' });
  await runStep(config(3), webgpu); // compiles the pipelines
  console.log('L        build ms/layer   weights ms/layer   step ms/layer   submits   bytes/layer   checkpoints');
  for (const L of depths) {
    const cfg = config(L);
    const r = await runStep(cfg, webgpu);
    const plan = webgpu.plan(shapeOf(cfg), memoryOf(cfg));
    console.log(`${String(L).padEnd(8)} ${(webgpu.lastBuildMs / L).toFixed(3).padStart(14)} ${(webgpu.lastInitMs / L).toFixed(3).padStart(18)}`
      + ` ${(r.stepMs / L).toFixed(3).padStart(15)} ${String(webgpu.lastSubmits).padStart(9)} ${Math.round(plan.totalBytes / L).toLocaleString('en-US').padStart(13)}`
      + ` ${String(plan.checkpointEvery ?? 'none').padStart(13)}`);
  }
}

/** The peer bench (see the header): in Node or in Chromium, then the table and the JSON file. */
async function peerBench(): Promise<void> {
  const sections = opts.only?.split(',').map((s) => s.trim()) as Section[] | undefined;
  const bad = sections?.find((s) => !SECTIONS.includes(s));
  if (bad !== undefined) throw new Error(`--only: "${bad}" is not one of ${SECTIONS.join(', ')}`);
  const log = (line: string) => console.error(line);
  const rounds = opts.rounds === undefined ? undefined : Number(opts.rounds);
  roundsFor(!!opts.full, rounds); // throws for a bad --rounds before anything starts
  const shapes = opts.shapes?.split(',').map(parseShape);
  const nets = opts.nets?.split(',').map((s) => s.trim());
  netsFor(!!opts.full, nets); // and for an unknown network
  let result: PeerBenchResult;
  if (opts.browser) {
    const { runInBrowser } = await import('./peers/browser-runner'); // Vite and Playwright, only here
    result = await runInBrowser({ full: !!opts.full, rounds, shapes, nets, allKernels: !!opts.allKernels, sections, executablePath: opts.chromium, log, timeoutMinutes: 60 });
  } else {
    const { gpu, reason } = await nodeGpu();
    if (!gpu) throw new Error(`bench needs WebGPU: ${reason}`);
    installNavigatorGpu(gpu); // the peers look for WebGPU at navigator.gpu
    result = await runPeerBench(gpu, 'node', { full: !!opts.full, rounds, shapes, nets, allKernels: !!opts.allKernels, log, sections });
  }
  console.log(formatTable(result));
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.date.slice(0, 10)}-${result.face}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten: ${relative(process.cwd(), file)}`);
}

if (opts.peers || opts.browser || (opts.presets === undefined && opts.steps === undefined && opts.depths === undefined && !opts.phase)) {
  await peerBench();
  process.exit(0);
}
const { gpu, reason } = await nodeGpu();
if (!gpu) throw new Error(`bench needs WebGPU: ${reason}`);
const webgpu = await WebGpuBackend.create(gpu);
if (opts.depths) {
  console.log(`adapter: ${webgpu.adapter}; depth table (tanh, orthogonal, n = 64, m = 32)`);
  await depthTable(webgpu, opts.depths.split(',').map(Number));
  webgpu.destroy();
  process.exit(0);
}
if (opts.phase) {
  const [depth, width, batch] = opts.phaseNet.split(',').map(Number);
  const cfg = resolveConfig({ depth, width, batch, activation: 'tanh' });
  const spec = phaseSpec(cfg, resolvePhaseOptions({ grid: opts.phaseGrid }));
  const budget = cfg.memory * 2 ** 20;
  await runPhaseGpu(webgpu.device, webgpu.cache, { ...spec, networks: spec.networks.slice(0, 1) }, budget); // compiles the pipelines
  let t0 = performance.now();
  const batched = await runPhaseGpu(webgpu.device, webgpu.cache, spec, budget);
  const batchedMs = (performance.now() - t0) / spec.networks.length;
  const k = Math.min(Number(opts.oneByOne), spec.networks.length);
  t0 = performance.now();
  for (const net of spec.networks.slice(0, k)) await runPhaseGpu(webgpu.device, webgpu.cache, { ...spec, networks: [net] }, budget);
  const singleMs = (performance.now() - t0) / k;
  console.log(`adapter: ${webgpu.adapter}; phase diagram tanh L = ${depth}, n = ${width}, m = ${batch}, grid ${opts.phaseGrid}`);
  console.log(`batched: ${batchedMs.toFixed(1)} ms per grid point (${batched.networksPerDispatch} networks per dispatch, ${batched.chunks} chunks, `
    + `${batched.submits} submits); one by one (${k} networks): ${singleMs.toFixed(1)} ms per grid point; speed-up ${(singleMs / batchedMs).toFixed(2)}×`);
  webgpu.destroy();
  process.exit(0);
}
const cpu = new CpuBackend();
const steps = Number(opts.steps ?? 5);
console.log(`adapter: ${webgpu.adapter}; ${steps} steps per backend after a warm-up; times are medians`);
console.log('preset         webgpu ms    cpu ms   cpu/webgpu   max ‖Δtensor‖/‖tensor‖   max |Δstat|/rms');
for (const preset of (typeof opts.presets === 'string' ? opts.presets : DEFAULT_PRESETS).split(',')) {
  const g = await timeSteps(webgpu, preset, steps);
  const c = await timeSteps(cpu, preset, steps);
  const tensorError = await worstTensorError(webgpu, cpu); // both hold the same problem's last step
  console.log(`${preset.padEnd(14)} ${g.ms.toFixed(1).padStart(9)} ${c.ms.toFixed(1).padStart(9)} ${(c.ms / g.ms).toPrecision(3).padStart(12)}`
    + `   ${tensorError.toExponential(2).padStart(22)}   ${worstStatError(g.last, c.last).toExponential(2).padStart(15)}`);
}
webgpu.destroy();
process.exit(0);

/**
 * `npm run bench [-- --presets relu-he,seed-explode --steps 5]`: the WebGPU engine against its peer measured in
 * the same run, the float64 CPU reference, on the same problems. Prints, per preset, the median step time of
 * each backend (milliseconds, wall clock from submit to statistics read back), their ratio, the largest
 * GPU-vs-CPU relative error ‖gpu − cpu‖/‖cpu‖ of any full tensor (z, a, dA, dZ, dW, db of every layer), and the
 * largest difference of any per-layer statistic relative to that tensor's rms (l2 relative to l2).
 * On a machine without a GPU the WebGPU numbers are SwiftShader's (CPU) numbers: read the ratio, not the times.
 * `npm run bench -- --phase [--phase-grid 24x24 --phase-net 50,128,16 --one-by-one 24]`: the phase diagram (tanh, issue 9
 * target) batched on the device against the same networks run one per submit sequence (the first --one-by-one of
 * them), in ms per grid point.
 */
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
import { runPhaseGpu } from '../src/backends/webgpu/phase';
import { resolvePhaseOptions } from '../src/model/phase';
import { phaseSpec } from '../src/session/phase';

const opts = new Command()
  .option('--presets <names>', `comma-separated presets (${PRESET_NAMES.join(', ')})`, 'relu-he,tanh-xavier,seed-explode')
  .option('--steps <n>', 'timed steps per backend and preset, after one warm-up step', '5')
  .option('--depths <list>', 'instead: the depth table (build, weights, step, bytes per layer) of the issue\'s network at these depths, e.g. 100,1000,10000')
  .option('--phase', 'instead: the phase diagram batched against one network at a time')
  .option('--phase-grid <CxR>', 'with --phase: the grid', '24x24')
  .option('--phase-net <L,n,m>', 'with --phase: depth, width, batch (tanh)', '50,128,16')
  .option('--one-by-one <k>', 'with --phase: networks run one at a time (the first k of the grid)', '24')
  .parse(process.argv.filter((a) => a !== '--'))
  .opts<{ presets: string; steps: string; depths?: string; phase?: boolean; phaseGrid: string; phaseNet: string; oneByOne: string }>();

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
console.log(`adapter: ${webgpu.adapter}; ${opts.steps} steps per backend after a warm-up; times are medians`);
console.log('preset         webgpu ms    cpu ms   cpu/webgpu   max ‖Δtensor‖/‖tensor‖   max |Δstat|/rms');
for (const preset of opts.presets.split(',')) {
  const g = await timeSteps(webgpu, preset, Number(opts.steps));
  const c = await timeSteps(cpu, preset, Number(opts.steps));
  const tensorError = await worstTensorError(webgpu, cpu); // both hold the same problem's last step
  console.log(`${preset.padEnd(14)} ${g.ms.toFixed(1).padStart(9)} ${c.ms.toFixed(1).padStart(9)} ${(c.ms / g.ms).toPrecision(3).padStart(12)}`
    + `   ${tensorError.toExponential(2).padStart(22)}   ${worstStatError(g.last, c.last).toExponential(2).padStart(15)}`);
}
webgpu.destroy();
process.exit(0);

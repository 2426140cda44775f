/**
 * The bench page: runs the peer bench (bench/peers/run.ts) on navigator.gpu and shows its table. For
 * `npm run bench -- --browser`, which reads window.benchResult (or window.benchError) once window.benchDone is set.
 */
import { parseShape, runPeerBench, SECTIONS, type PeerBenchResult, type Section } from '../peers/run';
import { errorText } from '../peers/measure';
import { formatTable } from '../peers/table';

declare global {
  interface Window {
    benchResult?: PeerBenchResult;
    benchError?: string;
    benchDone?: boolean;
  }
}

const status = document.getElementById('status')!;
const logEl = document.getElementById('log')!;
const params = new URLSearchParams(location.search);
const only = params.get('only')?.split(',').filter((s): s is Section => (SECTIONS as readonly string[]).includes(s));
const log = (line: string) => {
  console.log(line);
  logEl.textContent += `${line}\n`;
};

try {
  if (!navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu)');
  const result = await runPeerBench(navigator.gpu, 'browser', {
    full: params.has('full'), rounds: params.has('rounds') ? Number(params.get('rounds')) : undefined,
    shapes: params.get('shapes')?.split(',').map(parseShape), nets: params.get('nets')?.split(','), allKernels: params.has('all-kernels'), log, sections: only });
  window.benchResult = result;
  document.getElementById('table')!.textContent = formatTable(result);
  status.textContent = 'done';
} catch (e) {
  window.benchError = e instanceof Error ? `${errorText(e)}\n${e.stack ?? ''}` : String(e);
  status.textContent = `failed: ${errorText(e)}`;
}
window.benchDone = true;

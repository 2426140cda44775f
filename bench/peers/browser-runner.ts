/**
 * `npm run bench -- --browser`: the peer bench in headless Chromium. Vite serves the bench page
 * (bench/browser/index.html, which imports the same bench/peers code), Playwright opens it with WebGPU enabled, the
 * page's progress lines are echoed here, and its result comes back as JSON (window.benchResult).
 */
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import type { PeerBenchResult, Section, Shape } from './run';

/** The system Chromium (Debian's package, with SwiftShader); elsewhere Playwright's own browser, if installed. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Arguments that work headless as root on a machine without a display; WebGPU on. */
const CHROMIUM_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

export interface BrowserOptions {
  full: boolean;
  rounds?: number;
  shapes?: readonly Shape[];
  nets?: readonly string[];
  allKernels: boolean;
  sections?: readonly Section[];
  /** Chromium's executable (default: /usr/bin/chromium where it exists). */
  executablePath?: string;
  log: (line: string) => void;
  /** Most minutes to wait for the page. */
  timeoutMinutes: number;
}

export async function runInBrowser(opts: BrowserOptions): Promise<PeerBenchResult> {
  const server = await createServer({
    // The project's vite.config.ts (assets, ?raw), with the bench page as the only entry the dependency scan starts
    // from, so that tfjs and jax-js are bundled before the page loads (no reload on first use).
    optimizeDeps: { entries: ['bench/browser/index.html'] },
    server: { port: 5198, strictPort: false, host: '127.0.0.1' },
    logLevel: 'warn',
  });
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    await server.listen();
    const base = server.resolvedUrls?.local[0];
    if (!base) throw new Error('vite did not report its URL');
    const executablePath = opts.executablePath ?? (existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    page.on('console', (msg) => { if (msg.type() === 'log' || msg.type() === 'error') opts.log(`[page] ${msg.text()}`); });
    page.on('pageerror', (e) => opts.log(`[page error] ${e.message}`));
    const query = new URLSearchParams();
    if (opts.full) query.set('full', '');
    if (opts.rounds !== undefined) query.set('rounds', String(opts.rounds));
    if (opts.shapes) query.set('shapes', opts.shapes.map((s) => `${s.M}x${s.K}x${s.N}`).join(','));
    if (opts.nets) query.set('nets', opts.nets.join(','));
    if (opts.allKernels) query.set('all-kernels', '');
    if (opts.sections) query.set('only', opts.sections.join(','));
    await page.goto(`${base}bench/browser/index.html?${query}`);
    opts.log(`browser: ${browser.version()}, page ${base}bench/browser/`);
    await page.waitForFunction(() => window.benchDone === true, null, { timeout: opts.timeoutMinutes * 60_000, polling: 1000 });
    const { result, error } = await page.evaluate(() => ({ result: window.benchResult, error: window.benchError }));
    if (!result) throw new Error(`the bench page failed: ${error ?? 'no result'}`);
    return result;
  } finally {
    await browser?.close();
    await server.close();
  }
}

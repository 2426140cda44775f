/**
 * End-to-end tests of the GUI in headless Chromium, where WebGPU runs on SwiftShader (README "WebGPU without a
 * GPU"): the default network must run on the WebGPU backend; the CPU fallback has its own test.
 *
 * Oracles are independent of the code: closed forms of the seed presets (W^[l] = gain·I, a^[0] = 1, identity
 * activation ⇒ a^[l] = gain^l and dW^[l] = gain^(L-1)), counts from the shapes, He's variance 2/fan_in, and
 * the overflow thresholds of float32 / float64.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import type { RunResult } from '../src/model/result';

const ARTIFACTS = 'artifacts';
/** The default network (README / task): digits, ReLU, L = 50, n = 128, kaiming_normal. */
const DEFAULT = { input: 'digits', activation: 'relu', depth: 50, width: 128, init: 'kaiming_normal' };
/** float32's largest finite value, (2 − 2^-23)·2^127. */
const FLOAT32_MAX = (2 - 2 ** -23) * 2 ** 127;

/** Wait until at least `runs` runs have finished and nothing is running; returns the last result. */
async function waitForRuns(page: Page, runs: number): Promise<RunResult> {
  await page.waitForFunction((n) => window.gradscope !== undefined && window.gradscope.runs >= n && !window.gradscope.busy, runs);
  return page.evaluate(() => window.gradscope.lastResult!);
}

async function runsSoFar(page: Page): Promise<number> {
  return page.evaluate(() => window.gradscope.runs);
}

/**
 * Number of pixels of `canvasId` within ±24 per channel of the colour `rgb` (a series' line colour).
 * A chart with its line drawn has hundreds; axes, grid and legend alone have under 100.
 */
async function pixelsOfColour(page: Page, canvasId: string, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(([id, [r, g, b]]) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - r) <= 24 && Math.abs(data[i + 1] - g) <= 24 && Math.abs(data[i + 2] - b) <= 24) n++;
    }
    return n;
  }, [canvasId, rgb] as const);
}

/** |got − want| ≤ tol·|want| */
function expectRelClose(got: number, want: number, tol: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol * Math.abs(want));
}

test('default network runs on load and is drawn', async ({ page }, testInfo) => {
  await page.goto('/');
  const r = await waitForRuns(page, 1);

  expect(r.config).toMatchObject(DEFAULT);
  expect(r.layers.length).toBe(50);
  // Shapes: n^[0] = 64 pixels, n^[1..49] = 128, n^[50] = 10 classes; m = batch.
  const m = r.config.batch;
  expect(r.layers[0]).toMatchObject({ fanIn: 64, fanOut: 128 });
  expect(r.layers[49]).toMatchObject({ fanIn: 128, fanOut: 10 });
  expect(r.layers[0].a.count).toBe(128 * m);
  expect(r.layers[0].W.count).toBe(128 * 64);
  expect(r.layers[49].dW.count).toBe(10 * 128);
  // He et al. 2015: Var(W^[l]) = 2/fan_in; 16,384 samples per hidden layer ⇒ sample std within ~1.5%.
  for (const l of [2, 25, 49]) expectRelClose(r.layers[l - 1].W.std, Math.sqrt(2 / 128), 0.05, `std W[${l}]`);
  // ReLU output: no negative entries.
  for (const layer of r.layers.slice(0, 49)) expect(layer.a.min).toBeGreaterThanOrEqual(0);

  // Header: backend and adapter of the run, and its step time.
  await expect(page.locator('#adapter')).toContainText(r.backend);
  await expect(page.locator('#adapter')).toContainText(r.adapter);
  await expect(page.locator('#step-time')).toContainText('ms');
  // WebGPU is available in this browser: the engine itself, shaders served by Vite, must be what ran.
  expect(r.backend).toBe('webgpu');
  await expect(page.locator('#notice')).toBeHidden();
  await expect(page.locator('#error')).toBeHidden();
  await expect(page.locator('#nonfinite')).toHaveText(
    r.firstNonFinite ? `first non-finite: ${r.firstNonFinite.tensor} at layer ${r.firstNonFinite.layer}` : 'all values finite');

  // Each chart has its series' line drawn (a[l] rms on Forward, dW[l] rms on Backward, dA[l] rms on Explore).
  expect(await pixelsOfColour(page, 'chart-forward', [0x1f, 0x3f, 0xb3])).toBeGreaterThan(200);
  expect(await pixelsOfColour(page, 'chart-backward', [0xa0, 0x30, 0x7a])).toBeGreaterThan(200);
  expect(await pixelsOfColour(page, 'chart-explore', [0xe0, 0x8a, 0x3c])).toBeGreaterThan(200);

  // Table: one row per layer for the chosen tensor; all six tensors per layer with "all".
  await expect(page.locator('#stats-table tbody tr')).toHaveCount(50);
  await page.locator('#table-tensor').selectOption('all');
  await expect(page.locator('#stats-table tbody tr')).toHaveCount(300);

  mkdirSync(ARTIFACTS, { recursive: true });
  const png = await page.screenshot({ path: `${ARTIFACTS}/gui-default.png`, fullPage: true });
  await testInfo.attach('gui-default', { body: png, contentType: 'image/png' });
});

test('preset seed-explode chosen in the panel gives the closed-form statistics', async ({ page }, testInfo) => {
  await page.goto('/');
  await waitForRuns(page, 1);
  const before = await runsSoFar(page);

  await page.locator('[data-field="preset"] select').selectOption('seed-explode');
  const r = await waitForRuns(page, before + 1);

  // The preset's values are loaded into the fields.
  await expect(page.locator('[data-field="depth"] input')).toHaveValue('150');
  await expect(page.locator('[data-field="init"] select')).toHaveValue('identity');
  const L = 150, gain = 1.5;
  expect(r.config).toMatchObject({ preset: 'seed-explode', depth: L, width: 2, activation: 'identity', init: 'identity', gain });
  expect(r.layers.length).toBe(L);
  expect(r.firstNonFinite).toBeNull();
  // W^[l] = 1.5·I, a^[0] = 1, b = 0, identity activation: every entry of a^[l] is 1.5^l. Loss "sum" on m = 1:
  // dA^[L] = 1, dZ^[l] = 1.5^(L−l), dW^[l] = dZ^[l]·a^[l−1]ᵀ = 1.5^(L−1) in every entry. float32 rounds
  // once per multiplication: relative error ≤ k·2^-23 after k of them.
  for (const layer of r.layers) {
    const l = layer.layer;
    const want = gain ** l;
    expect(layer.a.min, `a[${l}] min == max`).toBe(layer.a.max);
    expectRelClose(layer.a.min, want, l * 2 ** -23 + 1e-6, `a[${l}]`);
    const wantDW = gain ** (L - 1);
    expectRelClose(layer.dW.min, wantDW, L * 2 ** -23 + 1e-6, `dW[${l}] min`);
    expectRelClose(layer.dW.max, wantDW, L * 2 ** -23 + 1e-6, `dW[${l}] max`);
  }
  await expect(page.locator('#nonfinite')).toHaveText('all values finite');
  await expect(page.locator('#error')).toBeHidden();

  const png = await page.screenshot({ path: `${ARTIFACTS}/gui-seed-explode.png`, fullPage: true });
  await testInfo.attach('gui-seed-explode', { body: png, contentType: 'image/png' });
});

test('a bad field value is reported with its range and the last result stays', async ({ page }) => {
  await page.goto('/');
  await waitForRuns(page, 1);
  const runs = await runsSoFar(page);
  const json = await page.evaluate(() => window.gradscope.lastResultJson);

  const depth = page.locator('[data-field="depth"] input');
  await depth.click();
  await depth.press('Control+A');
  await depth.pressSequentially('-3');
  await depth.press('Enter');

  const error = page.locator('#error');
  await expect(error).toBeVisible();
  await expect(error).toContainText('depth');
  await expect(error).toContainText('1..100000'); // MAX_DEPTH, the README's allowed range
  await expect(page.locator('[data-field="depth"]')).toHaveClass(/invalid/);
  // …and the class is visible: the field is outlined (the style must match lil-gui's own class names).
  await expect(page.locator('[data-field="depth"]')).toHaveCSS('outline-style', 'solid');
  expect(await page.evaluate(() => window.gradscope.error)).toContain('depth');
  // Nothing ran and nothing was lost: a rejected value never reaches the run queue (validation is synchronous),
  // so the run count, the result, the charts and the table are unchanged.
  expect(await page.evaluate(() => window.gradscope.busy)).toBe(false);
  expect(await runsSoFar(page)).toBe(runs);
  expect(await page.evaluate(() => window.gradscope.lastResultJson)).toBe(json);
  await expect(page.locator('#stats-table tbody tr')).toHaveCount(50);
  expect(await pixelsOfColour(page, 'chart-forward', [0x1f, 0x3f, 0xb3])).toBeGreaterThan(200);

  // Text that is not a number at all is rejected too (not silently dropped).
  await depth.click();
  await depth.press('Control+A');
  await depth.pressSequentially('abc');
  await depth.press('Enter');
  await expect(error).toContainText('"abc"');
  expect(await runsSoFar(page)).toBe(runs);

  // Fixing the field runs again and clears the error.
  await depth.click();
  await depth.press('Control+A');
  await depth.pressSequentially('3');
  await depth.press('Enter');
  const r = await waitForRuns(page, runs + 1);
  expect(r.layers.length).toBe(3);
  expect(r.config.preset).toBe('custom');
  expect(r.config.gain).toBeNull(); // the gain field's "default" round-trips to null
  await expect(error).toBeHidden();
  await expect(page.locator('[data-field="preset"] select')).toHaveValue('custom');
});

test('a bad URL parameter is reported and the default network runs', async ({ page }) => {
  await page.goto('/?depth=abc');
  const r = await waitForRuns(page, 1);
  const error = page.locator('#error');
  await expect(error).toBeVisible();
  await expect(error).toContainText('depth');
  await expect(error).toContainText('1..100000');
  expect(r.config).toMatchObject(DEFAULT);
  expect(r.layers.length).toBe(50);
});

test('several bad URL parameters are all named and outlined, the typo stays in the address bar, the good ones apply', async ({ page }) => {
  const search = '?depth=abc&width=-5&init=he&batch=7&bogus=1';
  await page.goto(`/${search}`);
  const r = await waitForRuns(page, 1);
  const error = page.locator('#error');
  await expect(error).toBeVisible();
  for (const text of ['depth (--depth)', '"abc"', 'width (--width)', '"-5"', 'init (--init)', 'did you mean kaiming_normal or kaiming_uniform?', '"bogus"']) {
    await expect(error).toContainText(text);
  }
  for (const field of ['depth', 'width', 'init']) await expect(page.locator(`[data-field="${field}"]`)).toHaveClass(/invalid/);
  await expect(page.locator('[data-field="batch"]')).not.toHaveClass(/invalid/);
  // The good parameter applied; the bad ones kept the defaults.
  expect(r.config).toMatchObject({ ...DEFAULT, batch: 7 });
  expect(new URL(page.url()).search).toBe(search);
});

test('the init list shows the lecture\'s names (He, Glorot) beside PyTorch\'s', async ({ page }) => {
  await page.goto('/?preset=seed-vanish&depth=3');
  await waitForRuns(page, 1);
  const options = page.locator('[data-field="init"] option');
  await expect(options.filter({ hasText: 'kaiming_normal (He)' })).toHaveCount(1);
  await expect(options.filter({ hasText: 'xavier_uniform (Glorot)' })).toHaveCount(1);
  expect(await options.filter({ hasText: 'xavier_normal' }).getAttribute('title')).toContain('Glorot & Bengio 2010');
});

test('URL parameters set the network', async ({ page }) => {
  await page.goto('/?preset=seed-vanish&depth=12');
  const r = await waitForRuns(page, 1);
  await expect(page.locator('#error')).toBeHidden();
  expect(r.config).toMatchObject({ preset: 'seed-vanish', depth: 12, gain: 0.5 });
  await expect(page.locator('[data-field="depth"] input')).toHaveValue('12');
  // a^[l] = 0.5^l, exact in binary floating point.
  r.layers.forEach((layer) => expect(layer.a.max).toBe(0.5 ** layer.layer));
});

test('overflow is marked at the first non-finite layer and the page keeps working', async ({ page }) => {
  // W^[l] = 10^6·I on a^[0] = 1: z^[l] = 10^(6l) overflows once 10^(6l) exceeds the largest finite number
  // of the backend's format: float32 (WebGPU) at l = 7 (10^42 > 3.4·10^38), float64 (CPU) at l = 52.
  await page.goto('/?preset=seed-explode&gain=1000000&depth=60');
  const r = await waitForRuns(page, 1);
  const max = r.backend === 'cpu' ? Number.MAX_VALUE : FLOAT32_MAX;
  let first = 1;
  while (10 ** (6 * first) <= max) first++;
  expect(r.firstNonFinite).toEqual({ tensor: 'z', layer: first });
  await expect(page.locator('#nonfinite')).toHaveText(`first non-finite: z at layer ${first}`);
  await expect(page.locator('#error')).toBeHidden();
  // The last layers' statistics are non-finite and shown as such.
  await expect(page.locator('#stats-table tbody tr').last()).toContainText(/NaN|Infinity/);
  expect(await pixelsOfColour(page, 'chart-forward', [0x1f, 0x3f, 0xb3])).toBeGreaterThan(50);
  // The red marker line is drawn on the charts.
  expect(await pixelsOfColour(page, 'chart-forward', [0xd0, 0x02, 0x1b])).toBeGreaterThan(50);
});

test('a network over a device limit is reported and the last result stays', async ({ page }) => {
  // Small parameters (W^[1] is 8×1, W^[2] is 1×8) but a wide batch: m = 65536.
  await page.goto('/?input=ones&inputDim=1&outputDim=1&depth=2&width=8&batch=65536&init=constant&value=1&loss=sum');
  await waitForRuns(page, 1);
  const runs = await runsSoFar(page);
  const json = await page.evaluate(() => window.gradscope.lastResultJson);

  // width 65536 makes z^[1] a 65536 × 65536 matrix: 2^32 elements, 16 GiB in float32 — over every backend's limit.
  const width = page.locator('[data-field="width"] input');
  await width.click();
  await width.press('Control+A');
  await width.pressSequentially('65536');
  await width.press('Enter');

  await page.waitForFunction(() => window.gradscope.error !== null && !window.gradscope.busy);
  await expect(page.locator('#error')).toBeVisible();
  await expect(page.locator('#error')).toContainText('too large');
  expect(await runsSoFar(page)).toBe(runs);
  expect(await page.evaluate(() => window.gradscope.lastResultJson)).toBe(json);
});

test('without WebGPU the CPU backend runs, with a visible notice', async ({ page }) => {
  // A browser without WebGPU: navigator.gpu is absent before the page's scripts run.
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
  await page.goto('/?preset=seed-explode&depth=20');
  const r = await waitForRuns(page, 1);
  expect(r.backend).toBe('cpu');
  await expect(page.locator('#notice')).toBeVisible();
  await expect(page.locator('#notice')).toContainText('WebGPU');
  // The float64 reference gives the closed form to double precision: a^[l] = 1.5^l.
  for (const s of r.layers) expectRelClose(s.a.max, 1.5 ** s.layer, 1e-14, `a^[${s.layer}]`);
});

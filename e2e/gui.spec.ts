/**
 * End-to-end tests of the GUI in headless Chromium, where WebGPU runs on SwiftShader (README "WebGPU without a
 * GPU"): the default network must run on the WebGPU backend; the CPU fallback has its own test.
 *
 * Oracles are independent of the code: closed forms of the seed presets (W^[l] = gain·I, a^[0] = 1, identity
 * activation ⇒ a^[l] = gain^l and dW^[l] = gain^(L-1)), counts from the shapes, He's variance 2/fan_in, and
 * the overflow thresholds of float32 / float64.
 */
import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { ARTIFACTS, chartLabel, expectRelClose, pixelsOfColour, runsSoFar, setField, waitForProgress, waitForRuns } from './helpers';

/** The default network (README / task): digits, ReLU, L = 50, n = 128, kaiming_normal. */
const DEFAULT = { input: 'digits', activation: 'relu', depth: 50, width: 128, init: 'kaiming_normal' };
/** float32's largest finite value, (2 − 2^-23)·2^127. */
const FLOAT32_MAX = (2 - 2 ** -23) * 2 ** 127;

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
  // On a software adapter (SwiftShader here) the page says so; on a GPU there is no notice.
  if (/swiftshader/i.test(r.adapter)) await expect(page.locator('#notice')).toContainText('software adapter');
  else await expect(page.locator('#notice')).toBeHidden();
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
  // dW^[l] = dZ^[l]·a^[l−1]ᵀ = 10^(6(L−l))·10^(6(l−1)) = 10^354 for every l, past both formats' largest finite
  // number (or one factor is already ∞/NaN): no rms(dW) can be drawn, and the legend says why.
  expect(await chartLabel(page, 'chart-backward')).toContain('rms(dW[l]) — all non-finite');
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

/** A deep network that takes tens of seconds on SwiftShader (3000 layers: ~35 s), so it is still running when edited. */
const DEEP = 'depth=3000&width=16&input=gaussian&inputDim=16&loss=sum';

test('editing a field during a run cancels it and runs the new values, once', async ({ page }) => {
  await page.goto(`/?${DEEP}`);
  await waitForProgress(page);
  expect(await page.evaluate(() => [window.gradscope.runs, window.gradscope.cancelled])).toEqual([0, 0]);

  // Two keystrokes ("1", "2") and Enter: only the finished value is requested, after the debounce.
  await setField(page, 'depth', '12');
  await page.waitForFunction(() => window.gradscope.runs >= 1 && !window.gradscope.busy);
  const after = await page.evaluate(() => ({
    runs: window.gradscope.runs, cancelled: window.gradscope.cancelled, progress: window.gradscope.progress,
    config: window.gradscope.lastResult!.config,
  }));
  // Counted, not timed: the deep run was cancelled (once), the edited network ran (once), nothing else ran.
  expect(after).toMatchObject({ runs: 1, cancelled: 1, progress: null, config: { depth: 12, width: 16, input: 'gaussian' } });
  await expect(page.locator('#progress')).toBeHidden();
  await expect(page.locator('#summary')).toContainText('L = 12');
  await expect(page.locator('#error')).toBeHidden();
});

test('Cancel stops a run, keeps the last result, and the engine runs the next network', async ({ page }) => {
  await page.goto('/?depth=5&width=16&input=gaussian&inputDim=16&loss=sum');
  await waitForRuns(page, 1);
  const json = await page.evaluate(() => window.gradscope.lastResultJson);
  await expect(page.locator('#progress')).toBeHidden();

  await setField(page, 'depth', '3000');
  await waitForProgress(page);
  await expect(page.locator('#progress')).toBeVisible();
  await page.locator('#cancel').click();
  await page.waitForFunction(() => !window.gradscope.busy);

  const after = await page.evaluate(() => ({
    runs: window.gradscope.runs, cancelled: window.gradscope.cancelled, busy: window.gradscope.busy,
    progress: window.gradscope.progress, json: window.gradscope.lastResultJson, error: window.gradscope.error,
  }));
  expect(after).toEqual({ runs: 1, cancelled: 1, busy: false, progress: null, json, error: null });
  await expect(page.locator('#progress')).toBeHidden();
  // Idle: the summary describes the result shown, the 5-layer network, and its table is still there.
  await expect(page.locator('#summary')).toContainText('L = 5');
  await expect(page.locator('#summary')).not.toContainText('running');
  await expect(page.locator('#stats-table tbody tr')).toHaveCount(5);

  // The session is usable: the next network runs.
  await setField(page, 'depth', '6');
  const r = await waitForRuns(page, 2);
  expect(r.layers.length).toBe(6);
  expect(await page.evaluate(() => [window.gradscope.cancelled, window.gradscope.error])).toEqual([1, null]);
});

test('the progress bar shows the phase, the layer reached of L and the memory plan while running', async ({ page }) => {
  // A 16 MiB budget: 3000 layers of z and a (16 × 64 floats each, 24 MiB) do not fit, so activations are recomputed.
  await page.goto(`/?${DEEP}&memory=16`);
  await page.waitForFunction(() => window.gradscope?.progress?.phase === 'forward');
  // One evaluate reads the state and the page together (the page's script cannot run in between).
  const seen = await page.evaluate(() => ({
    p: window.gradscope.progress!,
    hidden: document.getElementById('progress')!.hidden,
    text: document.getElementById('progress-text')!.textContent!,
    summary: document.getElementById('summary')!.textContent!,
    bar: { value: (document.getElementById('progress-bar') as HTMLProgressElement).value, max: (document.getElementById('progress-bar') as HTMLProgressElement).max },
  }));
  expect(seen.hidden).toBe(false);
  const phase = seen.p.phase === 'stats' ? 'statistics' : seen.p.phase;
  const where = ['init', 'forward', 'backward'].includes(seen.p.phase) ? `${phase} ${seen.p.layer}/3000` : phase;
  expect(seen.text.startsWith(`${where}, `), seen.text).toBe(true);
  expect(seen.text).toMatch(/ s(, ~[\d.]+ (s|min \d+ s|h \d+ min) left)?$/);
  expect(seen.bar).toEqual({ value: seen.p.done, max: seen.p.total });
  expect(seen.p.total).toBe(2 * 3000 + 1); // the step's units: forward, loss, backward
  // The summary says what is running, with the same progress.
  expect(seen.summary).toContain('running: custom · L = 3000, n = 16');
  expect(seen.summary).toContain(`— ${where}, `);
  await expect(page.locator('#progress-plan')).toHaveText(/^memory [\d.]+ (KiB|MiB) of 16 MiB \(activations recomputed every \d+ layers\)$/);
  await page.screenshot({ path: `${ARTIFACTS}/gui-progress.png` });

  await page.evaluate(() => window.gradscope.cancel());
  await page.waitForFunction(() => !window.gradscope.busy);
  expect(await page.evaluate(() => [window.gradscope.runs, window.gradscope.cancelled, window.gradscope.progress])).toEqual([0, 1, null]);
  await expect(page.locator('#progress')).toBeHidden();
  await expect(page.locator('#summary')).toHaveText('No result yet.');
});

test('a 10,000-layer result is drawn (decimated), with its underflow and an all-0 series named', async ({ page }) => {
  // The CPU backend (float64): 20,001 steps of a 2-wide network take well under a second there, minutes on
  // SwiftShader. seed-vanish: a^[l] = 2^-l exactly down to float64's smallest subnormal 2^-1074; z^[1075] =
  // 2^-1075 rounds (to even) to 0.
  await page.goto('/?backend=cpu&preset=seed-vanish&depth=10000');
  await page.waitForFunction(() => window.gradscope !== undefined && window.gradscope.runs >= 1 && !window.gradscope.busy);
  // Read a few numbers in the page (handing the whole 10,000-layer result to the test takes seconds).
  const r = await page.evaluate(() => {
    const { layers, firstAllZero } = window.gradscope.lastResult!;
    return { L: layers.length, aMax: [1, 500, 1074, 1075].map((l) => layers[l - 1].a.max), firstAllZero };
  });
  expect(r).toEqual({ L: 10000, aMax: [2 ** -1, 2 ** -500, 2 ** -1074, 0], firstAllZero: { tensor: 'z', layer: 1075 } });
  await expect(page.locator('#allzero')).toHaveText('all zeros from z at layer 1075');
  // The underflow is marked on the charts (amber), as an overflow is (red).
  expect(await page.evaluate(() => window.gradscope.charts!.forward.marker)).toEqual({ layer: 1075, text: 'first all-zero (underflow): z[1075]' });

  // a^[1..1074] are drawn on the log axis: a steep line over a tenth of the width, down the whole height, partly
  // under z's dashes (z^[l] = a^[l]).
  expect(await chartLabel(page, 'chart-forward')).toContain('Series: rms(z[l]); rms(a[l])');
  expect(await pixelsOfColour(page, 'chart-forward', [0x1f, 0x3f, 0xb3], 0.3)).toBeGreaterThan(50);
  // dW^[l] = 0.5^(L−1) = 2^-9999 in every entry: 0 in float64 for every layer; dZ^[l] = 2^-(L−l) is drawn for
  // the last 1075 layers.
  expect(await chartLabel(page, 'chart-backward')).toContain('Series: rms(dZ[l]); rms(dW[l]) — all 0');
  expect(await pixelsOfColour(page, 'chart-backward', [0xc2, 0x57, 0x1a], 0.3)).toBeGreaterThan(100);
  // The table shows one page of layers at a time.
  await expect(page.locator('#stats-table tbody tr')).toHaveCount(1200);

  await page.screenshot({ path: `${ARTIFACTS}/gui-10000-layers.png` });

  // The page stays usable: the Explore chart redraws its 10,000 layers for another statistic.
  await page.locator('#explore-stat').selectOption('maxAbs');
  expect(await chartLabel(page, 'chart-explore')).toContain('Explore: maxAbs of dA[l]');
});

test('a series with no value > 0 is named "all 0" and a value between gaps is drawn as a dot', async ({ page }) => {
  // W = 0, b = 0, x = 1, identity, loss sum on m = 1, L = 100: z = a = 0 in every layer; dA^[L] = dZ^[L] = 1
  // (dŷ = 1/m), and every other gradient is W^T·(…) = 0, so is every dW^[l] = dZ^[l]·a^[l−1]ᵀ (a^[l−1] = 0 for
  // l > 1, dZ^[1] = 0). On the Backward chart's log axis dZ has one value > 0, at l = L, with gaps (0) around it.
  await page.goto('/?preset=seed-vanish&depth=100&init=zeros');
  const r = await waitForRuns(page, 1);
  for (const layer of r.layers) {
    expect([layer.z.rms, layer.a.rms, layer.dW.rms]).toEqual([0, 0, 0]);
    expect(layer.dZ.rms).toBe(layer.layer === 100 ? 1 : 0);
  }
  expect(await chartLabel(page, 'chart-forward')).toContain('Series: rms(z[l]) — all 0; rms(a[l]) — all 0.');
  expect(await chartLabel(page, 'chart-backward')).toContain('Series: rms(dZ[l]); rms(dW[l]) — all 0.');
  // Below the legend (the top 30%), the dZ dot at l = L is the only thing in either series' colour: no line
  // reaches it, and dW draws nothing.
  expect(await pixelsOfColour(page, 'chart-backward', [0xc2, 0x57, 0x1a], 0.3)).toBeGreaterThan(10);
  expect(await pixelsOfColour(page, 'chart-backward', [0xa0, 0x30, 0x7a], 0.3)).toBe(0);
});

test('in the extended range the charts plot log10 rms on a linear axis', async ({ page }) => {
  // seed-explode, L = 150: 1.5^150 ≈ 3.7e26 fits float32, so these values hold with or without the power-of-two
  // scales: log10 rms(a^[l]) = l·log10 1.5, to within l roundings of 2^-23 (log10(1 + δ) < δ).
  await page.goto('/?preset=seed-explode&range=extended');
  const r = await waitForRuns(page, 1);
  expect(r.config.range).toBe('extended');
  for (const { layer: l, a } of r.layers) {
    expect(Math.abs(a.log10.rms - l * Math.log10(1.5)), `log10 rms a[${l}]`).toBeLessThanOrEqual(l * 2 ** -23);
  }
  for (const id of ['chart-forward', 'chart-backward', 'chart-explore']) {
    const label = await chartLabel(page, id);
    expect(label).toContain('Value axis: log10 rms.');
    expect(label).not.toContain(' — all');
  }
  // a^[l] rises across the whole width; dW^[l] = 1.5^149 is a flat line.
  expect(await pixelsOfColour(page, 'chart-forward', [0x1f, 0x3f, 0xb3], 0.3)).toBeGreaterThan(200);
  expect(await pixelsOfColour(page, 'chart-backward', [0xa0, 0x30, 0x7a], 0.3)).toBeGreaterThan(200);
  // Statistics without a log10 keep the log axis of their values.
  await page.locator('#explore-stat').selectOption('max');
  expect(await chartLabel(page, 'chart-explore')).toContain('Value axis: max (log scale).');
});

// Extended range (power-of-two scales per tensor): 0.5^10000 and 1.5^10000 are far past float64, and the charts
// still draw them, as log10 values. The CPU backend keeps the test fast.
test('extended range at 10,000 layers: the charts plot log10 rms, the closed forms of the seed presets', async ({ page }) => {
  const L = 10000;
  for (const [preset, gain] of [['seed-vanish', 0.5], ['seed-explode', 1.5]] as const) {
    await page.goto(`/?backend=cpu&preset=${preset}&depth=${L}&range=extended`);
    await page.waitForFunction(() => window.gradscope !== undefined && window.gradscope.runs >= 1 && !window.gradscope.busy);
    // Only the numbers checked leave the page (handing over the whole result takes seconds).
    const r = await page.evaluate(() => {
      const { config, layers, firstNonFinite, firstAllZero } = window.gradscope.lastResult!;
      return { range: config.range, a: layers.map((s) => s.a.log10.rms), dW: layers.map((s) => s.dW.log10.rms), firstNonFinite, firstAllZero };
    });
    expect(r).toMatchObject({ range: 'extended', firstNonFinite: null, firstAllZero: null });
    // W^[l] = gain·I, a^[0] = 1: a^[l] = gain^l, so log10 rms(a^[l]) = l·log10 gain; loss sum on m = 1:
    // every entry of dW^[l] is gain^(L−1).
    expect(r.a.length).toBe(L);
    // One assertion over all layers (20,000 expect() calls would each be a reported step).
    const worst = (xs: number[], want: (i: number) => number) => Math.max(...xs.map((v, i) => Math.abs(v - want(i)) / Math.abs(want(i))));
    expect(worst(r.a, (i) => (i + 1) * Math.log10(gain))).toBeLessThanOrEqual(1e-9);
    expect(worst(r.dW, () => (L - 1) * Math.log10(gain))).toBeLessThanOrEqual(1e-9);
    for (const id of ['chart-forward', 'chart-backward', 'chart-explore']) {
      const label = await chartLabel(page, id);
      expect(label).toContain('Value axis: log10 rms.');
      expect(label).not.toContain(' — all');
    }
    // Every layer drawn: a over the whole width, dW as a flat line.
    // A straight line across the plot: a few hundred pixels of its colour below the title and legend (the top 15%;
    // seed-explode's flat dW line runs near the top of its plot).
    expect(await pixelsOfColour(page, 'chart-forward', [0x1f, 0x3f, 0xb3], 0.15)).toBeGreaterThan(150);
    expect(await pixelsOfColour(page, 'chart-backward', [0xa0, 0x30, 0x7a], 0.15)).toBeGreaterThan(150);
  }
});

import { test } from '@playwright/test';
import { waitForRuns } from './helpers';
test('explore', async ({ page }) => {
  page.on('console', (m) => console.log('console:', m.text()));
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  for (const [name, q] of [['tanh', '/?preset=tanh-large&depth=16&hist=1'], ['relu', '/?preset=relu-he&depth=16&hist=1']]) {
    await page.goto(q);
    const t0 = Date.now();
    await waitForRuns(page, 1);
    console.log(name, 'run ms', Date.now() - t0, await page.evaluate(() => JSON.stringify({ ...window.gradscope.distributions, heatmap: { ...window.gradscope.distributions!.heatmap, columns: window.gradscope.distributions!.heatmap?.columns.length } })));
    await page.locator('#distributions').screenshot({ path: `artifacts/tmp-${name}.png` });
    for (const t of ['dZ', 'W']) {
      await page.locator('#dist-tensor').selectOption(t);
      await page.locator('#distributions').screenshot({ path: `artifacts/tmp-${name}-${t}.png` });
    }
  }
});

// The phase diagram view: Measure runs the grid through the Session on the device and draws the heatmap with the
// theory line; the status names the networks and the hover text the cell.
import { expect, test } from '@playwright/test';
import { ARTIFACTS, pixelsOfColour, waitForRuns } from './helpers';

test('Measure draws the phase diagram of the panel\'s network', async ({ page }) => {
  await page.goto('/?depth=12&width=32&batch=4&activation=tanh');
  await waitForRuns(page, 1);
  await page.selectOption('#phase-grid', '8x6');
  await page.click('#phase-run');
  await expect(page.locator('#phase-status')).toContainText('48 networks in', { timeout: 110_000 });
  await expect(page.locator('#phase-canvas')).toBeVisible();
  // Blue (ordered) and red (chaotic) cells are both present, at their saturated or faded colours.
  const blue = await page.evaluate(() => {
    const c = document.getElementById('phase-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let b = 0, r = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 2] > d[i] + 40) b++;
      if (d[i] > d[i + 2] + 40) r++;
    }
    return { b, r };
  });
  expect(blue.b).toBeGreaterThan(1000);
  expect(blue.r).toBeGreaterThan(1000);
  expect(await pixelsOfColour(page, 'phase-canvas', [255, 255, 255])).toBeGreaterThan(50); // the theory line
  const box = (await page.locator('#phase-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await expect(page.locator('#phase-canvas')).toHaveAttribute('title', /^σ_w² = .*growth of rms\(dA\)/);
  await page.locator('section.phase').screenshot({ path: `${ARTIFACTS}/phase-view.png` });
  // A click opens the cell's network in the main view: init normal with std σ_w/√n, bias std σ_b.
  const runs = await page.evaluate(() => window.gradscope.runs);
  await page.mouse.click(box.x + box.width - 20, box.y + 20); // top right: σ_w² = 4, σ_b² = 0.3
  const r = await waitForRuns(page, runs + 1);
  expect(r.config).toMatchObject({ init: 'normal', inputDim: 32, depth: 12, width: 32 });
  expect(r.config.std).toBeCloseTo(Math.sqrt(4 / 32), 6);
  expect(r.config.biasStd).toBeCloseTo(Math.sqrt(0.3), 6);
});

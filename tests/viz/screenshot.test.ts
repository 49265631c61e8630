import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium } from 'playwright-core';
import { htmlPage } from '../../src/viz/display';
import { imageGrid, zoomInsets } from '../../src/viz/images';
import { CHROMIUM } from '../../src/viz/screenshot';
import { barChart } from '../../src/viz/plots';
import { screenshotBundles } from '../../src/viz/screenshot';
import { ROOT } from '../helpers';

/** Pixels of a PNG that are neither white nor near it, by colour. */
async function inkOf(file: string): Promise<{ width: number; height: number; red: number; blue: number }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let red = 0;
  let blue = 0;
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    if (r > 200 && g < 60 && b < 60) red++;
    if (b > 150 && r < 80) blue++;
  }
  return { width: info.width, height: info.height, red, blue };
}

test('a figure of an image row and a chart is what Chromium drew: the image at its size, the bars in their colour', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'figure-'));
  // A 64² pure red image shown 128 px wide: a 128² red square in the figure.
  const red = { width: 64, height: 64, data: new Float32Array(64 * 64 * 3).map((_, i) => (i % 3 === 0 ? 1 : 0)) };
  const row = path.join(tmp, 'row.png');
  const drawn = await screenshotBundles([await imageGrid([[{ image: red, title: 'red' }]], { width: 128 })], row);
  const rowInk = await inkOf(row);
  assert.equal([rowInk.width, rowInk.height], [drawn.width, drawn.height]);
  assert.ok(rowInk.red >= 128 * 128 && rowInk.red < 128 * 140, `red pixels ${rowInk.red}`);
  assert.ok(rowInk.width < 300, 'an image row is cut to what it drew');

  const chart = path.join(tmp, 'chart.png');
  await screenshotBundles([barChart([{ name: 'a', x: ['x', 'y'], y: [1, 2] }], { height: 300 })], chart, { width: 600 });
  const chartInk = await inkOf(chart);
  assert.ok(chartInk.width >= 600 && chartInk.width < 640, `chart width ${chartInk.width}`);
  assert.ok(chartInk.blue > 2000, `Plotly drew its bars (${chartInk.blue} blue pixels)`);
  fs.rmSync(tmp, { recursive: true });
});

test('zoomInsets keeps its panels side by side in a narrow notebook: one line of images, one of insets, scaled down', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'insets-'));
  const panels = [0, 1, 2, 3, 4].map((k) => ({ image: { width: 64, height: 64, data: new Float32Array(64 * 64 * 3).fill(k / 5) }, title: `panel ${k}` }));
  const page = path.join(tmp, 'insets.html');
  fs.writeFileSync(page, htmlPage([await zoomInsets(panels, { left: 8, top: 8, width: 16, height: 16 }, { width: 256 })]));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 600, height: 800 } });
    await tab.goto(`file://${page}`);
    const boxes = await tab.$$eval('figure', (fs) => fs.map((f) => { const r = f.getBoundingClientRect(); return { top: Math.round(r.top), right: r.right, width: r.width }; }));
    assert.is(boxes.length, 10);
    const tops = [...new Set(boxes.map((b) => b.top))];
    assert.is(tops.length, 2, `two lines (images, insets), not wrapped: tops ${boxes.map((b) => b.top)}`);
    assert.ok(boxes.every((b) => b.right <= 600 && b.width < 256), 'scaled down to the page');
  } finally {
    await browser.close();
    fs.rmSync(tmp, { recursive: true });
  }
});

test("the README's figures are committed and the README shows each one", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const f of ['restoration', 'real-photo', 'dffm-weights']) {
    assert.ok(fs.existsSync(path.join(ROOT, 'docs', 'figures', `${f}.png`)), `docs/figures/${f}.png (npm run figures)`);
    assert.ok(readme.includes(`(docs/figures/${f}.png)`), `README shows ${f}.png`);
  }
});

test.run();

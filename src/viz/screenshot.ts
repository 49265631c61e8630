import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { UsageError } from '../errors';
import { htmlPage, type Bundle } from './display';

/** Debian's Chromium, which `npm run setup` installs with the test tools. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Draws bundles as a page in headless Chromium and saves the page's content as a PNG: figures
 * for docs made by the same code the notebooks show (charts included: they are drawn by the
 * browser). With `width`, the figure is that many CSS px wide (charts fill it); without, it is as
 * wide as what the bundles drew (rows of images).
 */
export async function screenshotBundles(bundles: readonly Bundle[], out: string, o: { width?: number } = {}): Promise<{ width: number; height: number }> {
  if (!fs.existsSync(CHROMIUM)) throw new UsageError(`figures are drawn by Chromium: ${CHROMIUM} is missing (npm run setup -- --lab installs it)`);
  const page = htmlPage(bundles).replace('<body>', `<body style="margin:0;background:#fff"><div id="figure" style="${o.width ? `width:${o.width}px` : 'display:inline-block'};padding:6px">`).replace('</body>', '</div></body>');
  const tmp = `${out}.${process.pid}.html`;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(tmp, page);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const tab = await browser.newPage({ viewport: { width: (o.width ?? 1600) + 12, height: 800 } });
    await tab.goto(`file://${path.resolve(tmp)}`, { waitUntil: 'load' });
    // Plotly draws after load; a chart is done when its SVG is in the page.
    await tab.waitForFunction(() => Array.from(document.querySelectorAll(".deblur-plot")).every((d) => d.querySelector('svg.main-svg')), undefined, { timeout: 30_000 });
    const figure = tab.locator('#figure');
    await figure.screenshot({ path: out });
    const box = (await figure.boundingBox())!;
    return { width: Math.round(box.width), height: Math.round(box.height) };
  } finally {
    await browser.close();
    fs.rmSync(tmp, { force: true });
  }
}

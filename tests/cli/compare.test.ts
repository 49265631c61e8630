import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, runCli } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-'));
const SHOTS = path.join(ROOT, 'build', 'compare-screenshots');

test('compare writes one self-contained page: a row per image in one line at any width, sortable by gain, each row saved as a PNG; photos without a sharp image get a row without scores', async () => {
  const report = path.join(tmp, 'report.html');
  const r = runCli(['compare', '--data', 'data/sample', '--weights', 'weights/lite-sample,weights/lite-canonical', '--limit', '3', '--real', 'data/sample/real/clock_motion.png', '--out', report]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /wrote .*report\.html: 4 rows/);
  const html = fs.readFileSync(report, 'utf8');
  assert.not.match(html, /(src|href)="(?!data:)[^"#]/, 'nothing but inlined images');
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    for (const width of [560, 1600]) {
      const page = await browser.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
      await page.goto(`file://${report}`, { waitUntil: 'load' });
      const rows = await page.$$eval('section.row', (sections) => sections.map((s) => ({
        id: s.querySelector('.id')!.firstChild!.textContent!.trim(),
        tops: Array.from(s.querySelectorAll('figure')).map((f) => Math.round(f.getBoundingClientRect().top)),
        loaded: Array.from(s.querySelectorAll('img')).every((i) => (i as HTMLImageElement).naturalWidth > 0),
        captions: Array.from(s.querySelectorAll('figcaption')).map((c) => (c as HTMLElement).innerText.trim()),
        right: Math.max(...Array.from(s.querySelectorAll('figure')).map((f) => f.getBoundingClientRect().right)),
      })));
      await page.screenshot({ path: path.join(SHOTS, `compare-${width}.png`), fullPage: true });
      assert.is(rows.length, 4);
      for (const row of rows) {
        assert.ok(row.tops.every((t) => t === row.tops[0]), `${row.id} at ${width} px: one line (tops ${row.tops})`);
        assert.ok(row.right <= width, `${row.id} fits the page (${row.right} of ${width} px)`);
        assert.ok(row.loaded, `${row.id}: every image loaded`);
      }
      const [first, , , real] = rows;
      assert.equal(first!.captions.map((c) => c.split(/\s/)[0]), ['blurred', 'unsharp', 'lite-sample', 'lite-canonical', 'sharp']);
      assert.ok(first!.captions.slice(0, 4).every((c) => / dB \/ 0\.\d{3}$/.test(c)), `scores: ${first!.captions}`);
      assert.is(real!.id, 'data/sample/real/clock_motion.png');
      assert.equal(real!.captions, ['blurred input', 'unsharp mask', 'lite-sample', 'lite-canonical'], 'no sharp image and no scores');
      if (width !== 1600) continue;
      // Sorting: the smallest gain of lite-canonical first, as its captions give it.
      const gain = (captions: string[]) => Number(captions[3]!.split(/\s+/)[1]) - Number(captions[0]!.split(/\s+/)[2]);
      const scoredRows = rows.slice(0, 3).map((x) => ({ id: x.id, gain: gain(x.captions) })).sort((a, b) => a.gain - b.gain);
      await page.selectOption('#order', { label: 'lite-canonical: smallest gain first' });
      const order = await page.$$eval('section.row .id', (ids) => ids.map((i) => i.firstChild!.textContent!.trim()));
      assert.equal(order.slice(0, 3), scoredRows.map((x) => x.id));
      // A row as a PNG: five images side by side.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('section.row >> nth=0 >> button.save')]);
      const saved = path.join(tmp, 'row.png');
      await download.saveAs(saved);
      const meta = await sharp(saved).metadata();
      assert.ok(meta.width! >= 5 * 256 && meta.height! > 256, `the row's PNG is ${meta.width}×${meta.height}`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
});

test('compare refuses what it cannot do, in one line', () => {
  for (const [args, message] of [
    [['--weights', 'weights/lite-sample', '--out', path.join(tmp, 'r.html')], /give --data DIR \(pairs with sharp images\) and\/or --real FILES/],
    [['--data', 'data/sample', '--weights', 'weights/lite-sample', '--out', path.join(tmp, 'r.txt')], /must end in \.html/],
    [['--data', 'data/sample', '--weights', 'weights/lite-sample', '--realblur', 'R', '--out', path.join(tmp, 'r.html')], /--realblur R picks one of RealBlur's lists; data\/sample is in the gopro layout/],
    [['--data', 'data/sample', '--weights', 'weights/lite-sample,weights/lite-sample', '--out', path.join(tmp, 'r.html')], /names lite-sample twice/],
  ] as const) {
    const r = runCli(['compare', ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.not.match(r.err, /\n\s+at /, 'no stack trace');
  }
});

test.run();

/**
 * The notebooks, run for real: Debian's Jupyter executes each one with the project's tslab
 * kernel (scripts/run-notebooks.ts, the `npm run notebooks` command), then headless Chromium
 * opens every exported HTML page and checks that each Plotly chart drew and each image loaded.
 * A screenshot of every page is kept in build/notebooks/screenshots/ as a test artefact.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realLayoutTrees } from './data/fixtures';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'build', 'notebooks');
const notebooks = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();

function runner(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['-r', 'ts-node/register', 'scripts/run-notebooks.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', ...env } });
}

function writeNotebook(file: string, cells: string[]): void {
  const nb = {
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `t${i}`, metadata: {}, execution_count: null, outputs: [], source })),
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript (deblur-lab)', language: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(nb));
}

/** A notebook's text through the notebook-outputs clean filter (scripts/jupyter/strip_outputs.py). */
function stripOutputs(text: string): string {
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'scripts', 'jupyter', 'strip_outputs.py')], { input: text, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

/** A notebook as git stores it: through the clean filter (.gitattributes) where the set-up defined it. */
function asCommitted(name: string): string {
  const raw = fs.readFileSync(path.join(ROOT, 'notebooks', name), 'utf8');
  const filter = spawnSync('git', ['config', '--get', 'filter.notebook-outputs.clean'], { cwd: ROOT, encoding: 'utf8' });
  return filter.status === 0 ? stripOutputs(raw) : raw;
}

test('committed notebooks: numbered 01…, tslab kernel, no outputs, every figure cell preceded by prose', () => {
  assert.ok(notebooks.length >= 8, `notebooks: ${notebooks.join(', ')}`);
  for (const name of notebooks) {
    assert.match(name, /^\d\d-[a-z0-9-]+\.ipynb$/);
    const nb = JSON.parse(asCommitted(name));
    assert.is(nb.metadata.kernelspec.name, 'tslab', name);
    for (const cell of nb.cells) {
      if (cell.cell_type !== 'code') continue;
      assert.equal(cell.outputs, [], `${name}: committed with outputs`);
      assert.is(cell.execution_count, null, `${name}: committed with an execution count`);
    }
    // "every figure has a sentence saying what to look at": a code cell that shows something
    // follows a markdown cell with "What to look at", or the cell before it is one that does.
    const text = nb.cells.map((c: { source: string[] | string }) => (Array.isArray(c.source) ? c.source.join('') : c.source));
    const looks = text.filter((t: string) => t.includes('What to look at')).length;
    const shows = text.filter((t: string) => t.includes('viz.show(')).length;
    assert.ok(shows > 0 && looks > 0, `${name}: ${shows} showing cells, ${looks} "what to look at" notes`);
  }
});

test('a failing cell fails the runner, naming the cell, its source and the error text', () => {
  const dir = path.join(ROOT, 'build', 'test-notebooks');
  fs.rmSync(dir, { recursive: true, force: true });
  writeNotebook(path.join(dir, 'throws.ipynb'), ["console.log('first cell ran');", "throw new Error('boom-4242');", "console.log('never');"]);
  writeNotebook(path.join(dir, 'typo.ipynb'), ["const n: number = 'not a number';"]);
  const r = runner([path.join(dir, 'throws.ipynb'), path.join(dir, 'typo.ipynb'), '--out', path.join(dir, 'out')]);
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /throws\.ipynb: FAILED at code cell 2/);
  assert.match(r.stderr, /throw new Error\('boom-4242'\)/);
  assert.match(r.stderr, /Error: boom-4242/);
  assert.match(r.stderr, /typo\.ipynb: FAILED at code cell 1/);
  assert.match(r.stderr, /not assignable to type 'number'/);
  assert.match(r.stdout, /0 of 2 notebooks ran/);
  // The partial run is still exported, so the HTML shows where it stopped.
  const html = fs.readFileSync(path.join(dir, 'out', 'html', 'throws.html'), 'utf8');
  assert.ok(html.includes('first cell ran') && !html.includes('>never<'));
  const bad = runner(['no-such-notebook']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^notebooks: no notebook no-such-notebook/);
});

test('every notebook runs top to bottom headless and exports HTML (npm run notebooks)', () => {
  const r = runner(['--out', OUT]);
  assert.is(r.status, 0, `${r.stdout}\n${r.stderr.split('\n').slice(-40).join('\n')}`);
  assert.match(r.stdout, new RegExp(`${notebooks.length} of ${notebooks.length} notebooks ran`));
  for (const name of notebooks) assert.ok(fs.existsSync(path.join(OUT, 'html', name.replace('.ipynb', '.html'))), name);
  // The committed notebooks are untouched: outputs go to build/ only.
  const tour = JSON.parse(asCommitted('01-tour.ipynb'));
  assert.ok(tour.cells.every((c: { outputs?: unknown[] }) => !c.outputs || c.outputs.length === 0));
});

test('the notebook-outputs filter turns every executed notebook back into its committed bytes; they carry the kernel\'s language_info', () => {
  for (const name of notebooks) {
    const executed = fs.readFileSync(path.join(OUT, 'executed', name), 'utf8');
    assert.ok((JSON.parse(executed) as { cells: { outputs?: unknown[] }[] }).cells.some((c) => (c.outputs ?? []).length > 0), `${name} ran with no outputs`);
    const cleaned = stripOutputs(executed);
    // Equal bytes: the kernel's language_info (which nbclient records) is the committed one, so
    // opening a notebook in the lab does not mark it unsaved, and a run shows no change to git.
    assert.ok(cleaned === fs.readFileSync(path.join(ROOT, 'notebooks', name), 'utf8'), `${name}: executed and cleaned differs from the committed notebook`);
  }
});

test('notebook 06 runs on live GPU tensors: headless on the webgpu backend (the software adapter here), reading them asynchronously', () => {
  const out = path.join(ROOT, 'build', 'notebooks-webgpu');
  // Four images: the software adapter is slow, and every cell's path runs on webgpu with four as with twelve.
  const r = runner(['06-dffm-attention', '--out', out, '--limit', '4'], { DEBLUR_BACKEND: 'webgpu' });
  assert.is(r.status, 0, `${r.stdout}\n${r.stderr.split('\n').slice(-30).join('\n')}`);
  const executed = JSON.parse(fs.readFileSync(path.join(out, 'executed', '06-dffm-attention.ipynb'), 'utf8'));
  const text = executed.cells.flatMap((c: { outputs?: Array<{ text?: string[] | string }> }) => (c.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? ''))).join('\n');
  assert.match(text, /backend webgpu on /, 'the notebook did not run on webgpu');
  assert.not.match(text, /WebGPU \w+ error/);
});

test('your own data: notebook 08 compares the named network on GOPRO_Large and RealBlur-R trees as downloaded (RealBlur by its protocol); a bad value is one line, exit 2', () => {
  const out = path.join(ROOT, 'build', 'notebooks-parameters');
  const trees = realLayoutTrees(path.join(ROOT, 'data', 'sample'), fs.mkdtempSync(path.join(os.tmpdir(), 'own-data-')), 2);
  const outputText = (file: string): string => {
    const executed = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.ok(executed.cells[1].metadata.tags.includes('parameters'), 'the first code cell is tagged parameters');
    return executed.cells.flatMap((c: { outputs?: Array<{ text?: string[] | string; data?: Record<string, string | string[]> }> }) => (c.outputs ?? []).map((o) => {
      const t = o.text ?? o.data?.['text/html'] ?? '';
      return Array.isArray(t) ? t.join('') : t;
    })).join('\n');
  };
  for (const [tree, extra, described, id, scored] of [
    [trees.gopro, [], 'GoPro test split, blur/', 'GOPR0372_07_00/000001.png', /sets: GoPro test split, blur\/ \(2 sequences\), 2 pairs(?!, scored)/],
    [trees.realblur, ['--realblur', 'R'], 'RealBlur-R test split', 'RealBlur-R_BM3D_ECC_IMCORR_centroid_itensity_ref/scene230/blur/blur_1.png', /2 pairs, scored by RealBlur's protocol/],
  ] as const) {
    const r = runner(['08-comparison', '--out', out, '--data', tree, '--weights', 'weights/lite-canonical', ...extra]);
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr.split('\n').slice(-30).join('\n')}`);
    const text = outputText(path.join(out, 'executed', '08-comparison.ipynb'));
    assert.match(text, scored);
    assert.ok(text.includes(described) && text.includes(id), `the notebook shows ${described} and ${id}`);
    assert.match(text, /lite-canonical<\/td>\s*<td[^>]*>\d+\.\d+/, "the network's scores are in the table");
    assert.not.match(text, /MAXIM-3S/, 'only the named networks');
    assert.match(fs.readFileSync(path.join(out, 'index.html'), 'utf8'), new RegExp(`ran on data ${tree.replace(/[/.]/g, '\\$&')} \\(test split`));
  }
  const bad = runner(['06-dffm-attention', '--out', out, '--weights', 'nowhere']);
  assert.is(bad.status, 2);
  assert.is(bad.stderr.trim(), 'notebooks: DEBLUR_WEIGHTS: nowhere holds no network (a weights folder with model.json, or a training run)');
  const notData = runner(['08-comparison', '--out', out, '--data', trees.gopro, '--realblur', 'R']);
  assert.is(notData.status, 2);
  assert.match(notData.stderr.trim(), /^notebooks: DEBLUR_REALBLUR R picks one of RealBlur's lists; \S+GOPRO_Large is in the gopro layout$/);
});

test('in headless Chromium every exported chart draws and every image loads (screenshots kept)', async () => {
  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Offline machine: no background connections; root in CI needs --no-sandbox.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const shots = path.join(OUT, 'screenshots');
  fs.mkdirSync(shots, { recursive: true });
  try {
    let charts = 0;
    for (const name of notebooks) {
      const file = path.join(OUT, 'html', name.replace('.ipynb', '.html'));
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const external: string[] = [];
      page.on('request', (req) => {
        if (!/^(file|data):/.test(req.url())) external.push(req.url());
      });
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      // A chart counts as drawn when Plotly put data marks in it (a trace's paths, or a heatmap's
      // image), not merely its empty axes. Plotly draws once its script has run; allow time.
      const MARKS = 'svg.main-svg .trace path, svg.main-svg .hm image';
      await page.waitForFunction((sel) => Array.from(document.querySelectorAll('.deblur-plot')).every((d) => d.querySelector(sel)), MARKS, { timeout: 30_000 }).catch(() => undefined);
      const state = await page.evaluate((sel) => ({
        plots: document.querySelectorAll('.deblur-plot').length,
        drawn: Array.from(document.querySelectorAll('.deblur-plot')).filter((d) => d.querySelector(sel)).length,
        images: document.images.length,
        loaded: Array.from(document.images).filter((i) => i.complete && i.naturalWidth > 0).length,
      }), MARKS);
      await page.screenshot({ path: path.join(shots, name.replace('.ipynb', '.png')), fullPage: true });
      await page.close();
      assert.is(state.drawn, state.plots, `${name}: ${state.drawn} of ${state.plots} charts drawn`);
      assert.is(state.loaded, state.images, `${name}: ${state.loaded} of ${state.images} images loaded`);
      assert.equal(errors, [], `${name}: page errors`);
      assert.equal(external, [], `${name}: requests beyond the page`);
      charts += state.plots;
    }
    assert.ok(charts >= 15, `only ${charts} charts in all notebooks`);
  } finally {
    await browser.close();
  }
});

test.run();

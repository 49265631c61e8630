/**
 * The lab as a user meets it: the real `npm run lab` server (Debian's classic Notebook with the
 * project's tslab kernel), a notebook opened and run with Cell › Run All in headless Chromium,
 * autosave on. Checks what a user trips over: the notebook is not marked unsaved by opening it;
 * the kernel indicator reads busy until the last cell has finished; slow cells show a progress
 * line; no cell fails; and after autosave has written the outputs to disk, `git status` of
 * notebooks/ is what it was (the notebook-outputs filter). A screenshot is kept in
 * build/notebooks/screenshots/. The notebook's bytes are put back afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(__dirname, '..', '..');
const NOTEBOOK = process.env['LAB_UI_NOTEBOOK'] ?? '06-dffm-attention';
const file = path.join(ROOT, 'notebooks', `${NOTEBOOK}.ipynb`);

// Outside a git checkout (an unpacked tarball) there is no status to keep clean: that part is skipped.
const inGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() === 'true';

const gitStatus = (): string => {
  if (!inGit) return '(not a git checkout)';
  const r = spawnSync('git', ['status', '--porcelain', '--', 'notebooks/'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, `git status: ${r.stderr}`);
  return r.stdout;
};

/**
 * After the notebook's bytes are put back: git's index holds the stat of the autosaved file, so
 * (as after any save) git would list it as modified until its entry is refreshed, which is what
 * the lab's post-save hook does (scripts/jupyter/jupyter_notebook_config.py), here by hand.
 */
function refreshGitEntry(relative: string): void {
  const staged = spawnSync('git', ['ls-files', '--stage', '--', relative], { cwd: ROOT, encoding: 'utf8' }).stdout.split(/\s+/)[1];
  const cleaned = spawnSync('git', ['hash-object', '--path', relative, '--', relative], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  if (staged && staged === cleaned) spawnSync('git', ['add', '--', relative], { cwd: ROOT });
}

/** Starts `npm run lab`'s server script and resolves with the URL it announces. */
let labLog = '';

function startLab(): Promise<{ child: ChildProcess; url: string }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'scripts/lab.ts', '--port', String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the lab did not announce its URL within 90 s:\n${log}`)), 90_000);
    const read = (d: Buffer): void => {
      log += d.toString();
      labLog = log;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/tree\?token=(\w+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `${m[1]}/notebooks/${NOTEBOOK}.ipynb?token=${m[2]}` });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`the lab exited (${code}):\n${log}`)));
  });
}

interface Sample {
  busy: boolean;
  pending: number;
  progress: boolean;
}

test(`${NOTEBOOK} run through the lab's UI: honest kernel status, progress, autosave leaves git status clean`, async () => {
  const original = fs.readFileSync(file);
  const before = gitStatus();
  const { child, url } = await startLab();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(url, { waitUntil: 'load' });
    // The kernel has started and answered kernel_info (language_info is filled in from its reply).
    await page.waitForFunction(() => {
      const nb = (window as any).Jupyter?.notebook;
      return nb?.kernel?.info_reply?.language_info !== undefined && nb.kernel.is_connected();
    }, undefined, { timeout: 120_000 });
    await page.waitForTimeout(1000);
    assert.is(await page.evaluate(() => (window as any).Jupyter.notebook.dirty), false, 'opening the notebook marked it unsaved');
    await page.evaluate(() => (window as any).Jupyter.notebook.set_autosave_interval(2000));

    // Sample the toolbar's kernel indicator and the cells' prompts every 100 ms.
    await page.evaluate(() => {
      const w = window as any;
      w.__samples = [];
      w.__sampler = setInterval(() => {
        const icon = document.getElementById('kernel_indicator_icon');
        const pending = Array.from(document.querySelectorAll('.code_cell .input_prompt')).filter((p) => (p.textContent ?? '').includes('[*]')).length;
        w.__samples.push({ busy: !!icon?.classList.contains('kernel_busy_icon'), pending, progress: !!document.querySelector('.deblur-progress') });
      }, 100);
    });
    await page.click('#celllink');
    await page.click('#run_all_cells > a');
    await page.waitForFunction(
      () => {
        const cells = (window as any).Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === 'code');
        return cells.every((c: any) => typeof c.input_prompt_number === 'number');
      },
      undefined,
      { timeout: 600_000, polling: 200 },
    );
    await page.waitForTimeout(500);
    const samples = (await page.evaluate(() => {
      const w = window as any;
      clearInterval(w.__sampler);
      return w.__samples;
    })) as Sample[];

    const cells = (await page.evaluate(() =>
      (window as any).Jupyter.notebook
        .get_cells()
        .filter((c: any) => c.cell_type === 'code')
        .map((c: any) => ({ outputs: c.output_area.outputs.map((o: any) => ({ type: o.output_type, name: o.name, text: o.text })) })),
    )) as { outputs: { type: string; name?: string; text?: string }[] }[];
    cells.forEach((c, i) => {
      const bad = c.outputs.filter((o) => o.type === 'error' || o.name === 'stderr');
      assert.equal(bad, [], `code cell ${i + 1} wrote an error or stderr`);
    });
    assert.match(cells[0]!.outputs.filter((o) => o.name === 'stdout').map((o) => o.text).join(''), /deblur-lab: backend \w+ on /, 'the backend line is plain output');

    const running = samples.filter((s) => s.pending > 0);
    assert.ok(running.length >= 20, `only ${running.length} samples while cells ran`);
    const busy = running.filter((s) => s.busy).length / running.length;
    // Between two cells the kernel is idle for an instant (each request has its own busy … idle).
    assert.ok(busy >= 0.9, `the indicator read busy in ${(100 * busy).toFixed(0)}% of the samples taken while cells ran`);
    assert.not.ok(samples.at(-1)!.busy, 'the indicator still reads busy after the last cell');
    assert.ok(running.some((s) => s.progress), 'no progress line was shown while cells ran');

    // Autosave writes the outputs to disk; git sees no change. The notebook stretches its autosave
    // interval to ten times the last save's duration, in steps of 10 s (notebook.js,
    // _update_autosave_interval): a save during the run that took 3 s on a loaded machine left it at
    // 40 s. Re-arming it at 2 s keeps this a test of autosave, not of the machine's load.
    await page.evaluate(() => (window as any).Jupyter.notebook.set_autosave_interval(2000));
    await page.waitForFunction(() => (window as any).Jupyter.notebook.dirty === false, undefined, { timeout: 30_000 }).catch(async (e: Error) => {
      await page.screenshot({ path: path.join(ROOT, 'build', 'lab-ui-failure.png'), fullPage: true });
      throw new Error(`${e.message}: the notebook was not autosaved (screenshot build/lab-ui-failure.png); the server said:\n${labLog.split('\n').slice(-30).join('\n')}`);
    });
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: { outputs?: unknown[] }[] };
    assert.ok(saved.cells.some((c) => (c.outputs ?? []).length > 0), 'autosave did not write the outputs');
    // The server saves atomically through a `.~NAME` copy that it removes when the write is done;
    // a save still under way at this instant shows it, so wait (up to 10 s) for the folder to settle.
    let after = gitStatus();
    for (const until = Date.now() + 10_000; after !== before && Date.now() < until; after = gitStatus()) await new Promise((r) => setTimeout(r, 250));
    if (after !== before) {
      const diff = spawnSync('git', ['diff', '--', 'notebooks/'], { cwd: ROOT, encoding: 'utf8' }).stdout;
      assert.unreachable(`git status of notebooks/ changed:\n${after}\n${diff.split('\n').slice(0, 60).join('\n')}`);
    }

    const shots = path.join(ROOT, 'build', 'notebooks', 'screenshots');
    fs.mkdirSync(shots, { recursive: true });
    // The notebook scrolls inside #site, not the page: make the window as tall as the notebook.
    const height = await page.evaluate(() => {
      document.getElementById('site')!.scrollTop = 0;
      return document.getElementById('notebook-container')!.scrollHeight + 200;
    });
    await page.setViewportSize({ width: 1200, height: Math.min(height, 30_000) });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shots, `lab-${NOTEBOOK}.png`) });
  } finally {
    await browser?.close();
    if (child.exitCode === null) {
      // As `kill` or Ctrl-C would: the lab stops Jupyter, which shuts its kernel down.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
    fs.writeFileSync(file, original);
    if (inGit) refreshGitEntry(path.relative(ROOT, file));
  }
});

test.run();

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sameWaitingAsPeer, tfjsEngines } from '../../src/bench/suite';

const root = path.join(__dirname, '..', '..');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), 'bench', ...args], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('one case prints the fields others compare against, with real timings and the exact parameter count', () => {
  const r = cli('--variant', 'lite', '--batch', '2', '--crop', '32', '--steps', '2', '--warmup-seconds', '0', '--warmup', '1', '--backend', 'wasm', '--json');
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Record<string, unknown> & { train: { runs: number; min: number; max: number; median: number } };
  for (const k of ['variant', 'backend', 'trainStepMs', 'inferMs', 'params']) assert.ok(k in j, `missing ${k}`);
  assert.is(j['variant'], 'lite');
  assert.is(j['backend'], 'wasm');
  assert.is(j['params'], 251523);
  assert.ok((j['trainStepMs'] as number) > (j['inferMs'] as number), 'a training step costs more than inference');
  assert.is(j.train.runs, 2);
  assert.ok(j.train.min <= j.train.median && j.train.median <= j.train.max);
  assert.ok((j['peakWasmHeapBytes'] as number) > 0 && (j['peakRssBytes'] as number) > 0);
  assert.match(r.err, /bench: train run 2\/2/);
});

test('a batch that does not fit the wasm heap at once is timed in micro-batches; one that does not fit one image at a time is refused with the size it needs', () => {
  const split = cli('--variant', 'lite', '--batch', '10', '--crop', '256', '--mode', 'train', '--steps', '1', '--warmup-seconds', '0', '--warmup', '0', '--backend', 'wasm', '--json');
  assert.is(split.code, 0, split.err);
  const s = JSON.parse(split.out) as { trainStepMs: number | null; microBatches?: number };
  assert.ok(s.trainStepMs !== null && s.trainStepMs > 0);
  assert.is(s.microBatches, 2);
  const r = cli('--variant', 'full', '--batch', '2', '--crop', '512', '--mode', 'train', '--steps', '1', '--warmup-seconds', '0', '--warmup', '0', '--backend', 'wasm', '--json');
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { trainStepMs: number | null; trainSkipped?: string };
  assert.is(j.trainStepMs, null);
  assert.match(j.trainSkipped ?? '', /needs about [\d.]+ GiB of wasm heap for one image/);
});

test("the suite's lab processes run on the twin's thread count and wait for OpenMP work as it does, unless the user chose a policy for both", () => {
  const saved = { policy: process.env['OMP_WAIT_POLICY'], spin: process.env['GOMP_SPINCOUNT'] };
  try {
    delete process.env['OMP_WAIT_POLICY'];
    delete process.env['GOMP_SPINCOUNT'];
    assert.equal(sameWaitingAsPeer(), { GOMP_SPINCOUNT: '300000' }); // libgomp's default spin, which the twin gets
    assert.equal(tfjsEngines(['wasm'], true, 2).map((e) => e.env), [
      { GOMP_SPINCOUNT: '300000', OMP_NUM_THREADS: '2' },
      { GOMP_SPINCOUNT: '300000', OMP_NUM_THREADS: '2', DEBLUR_NATIVE: '0' },
    ]);
    process.env['OMP_WAIT_POLICY'] = 'PASSIVE';
    assert.equal(sameWaitingAsPeer(), {}); // inherited by both sides
  } finally {
    for (const [key, value] of [['OMP_WAIT_POLICY', saved.policy], ['GOMP_SPINCOUNT', saved.spin]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test('user mistakes: one line, exit 2', () => {
  for (const args of [
    ['--variant', 'nope'],
    ['--variant', 'lite', '--crop', '30'],
    ['--variant', 'lite', '--mode', 'sometimes'],
    ['--variant', 'lite', '--crop', '32', '--size', '32x32'],
    ['--variants', 'lite,nope'],
    ['--backends', 'auto'],
    ['--quick', '--update-doc'],
    ['--variant', 'lite', '--warmup-seconds', 'soon'],
    ['--variant', 'lite', '--warmup-seconds', '-1'],
  ]) {
    const r = cli(...args);
    assert.is(r.code, 2, `${args.join(' ')}: exit ${r.code}, ${r.err}`);
    assert.not.match(r.err, /\n\s+at /, `${args.join(' ')}: stack trace`);
  }
});

test('the suite (quick cases) runs tfjs (wasm with and without the native kernels) and the PyTorch twin side by side, checks their parameters, and writes its report', () => {
  const before = new Set(fs.existsSync(path.join(root, 'build', 'bench')) ? fs.readdirSync(path.join(root, 'build', 'bench')) : []);
  const r = cli('--quick', '--variants', 'lite', '--steps', '1', '--warmup-seconds', '0', '--warmup', '0', '--json');
  assert.is(r.code, 0, r.err);
  const { rows: all } = JSON.parse(r.out) as { rows: { case: { variant: string; threads?: number }; tfjs: Record<string, { params?: number; trainStepMs?: number | null; device?: string; error?: string }>; torch: { params: number; inferMs: number; layout: string; blas: string | null; error?: string }; torchChannelsLast: { params: number; inferMs: number; layout: string; error?: string } }[] };
  assert.is(all.length, 3);
  // The one-thread training step (as the long runs train): on the first engine only, the twin on one thread too.
  const single = all.filter((row) => row.case.threads === 1);
  assert.is(single.length, 1);
  assert.equal(Object.keys(single[0]!.tfjs), ['wasm+native']);
  assert.match(single[0]!.tfjs['wasm+native']!.device!, /native kernels \(oneDNN[^)]*\), 1 thread\b/);
  assert.ok(single[0]!.torch && !single[0]!.torch.error && single[0]!.torch.params === single[0]!.tfjs['wasm+native']!.params, JSON.stringify(single[0]!.torch));
  const rows = all.filter((row) => row.case.threads === undefined);
  assert.is(rows.length, 2);
  for (const row of rows) {
    assert.ok(row.tfjs['wasm'] && !row.tfjs['wasm'].error, JSON.stringify(row.tfjs));
    assert.match(row.tfjs['wasm'].device!, /no native kernels: turned off by DEBLUR_NATIVE=0/);
    assert.match(row.tfjs['wasm+native']!.device!, /native kernels \(oneDNN/);
    assert.is(row.tfjs['wasm+native']!.params, row.tfjs['wasm'].params);
    assert.ok(row.torch && !row.torch.error, JSON.stringify(row.torch));
    assert.is(row.torch.params, row.tfjs['wasm'].params);
    assert.ok(row.torch.inferMs > 0);
    // The twin in both layouts, as the same network.
    assert.is(row.torch.layout, 'nchw');
    assert.ok(row.torchChannelsLast && !row.torchChannelsLast.error, JSON.stringify(row.torchChannelsLast));
    assert.is(row.torchChannelsLast.layout, 'channels_last');
    assert.is(row.torchChannelsLast.params, row.torch.params);
    // Without the machine's OpenBLAS overrides the twin runs the kernel OpenBLAS picks, and names it.
    if (row.torch.blas !== null && process.env['OPENBLAS_CORETYPE']) assert.not.match(row.torch.blas, new RegExp(`core ${process.env['OPENBLAS_CORETYPE']}$`, 'i'), row.torch.blas);
  }
  const written = fs.readdirSync(path.join(root, 'build', 'bench')).filter((f) => !before.has(f));
  const md = written.find((f) => f.endsWith('.md'));
  assert.ok(md, 'a markdown report');
  const text = fs.readFileSync(path.join(root, 'build', 'bench', md!), 'utf8');
  assert.match(text, /\| lite 2×32² \| train step \| wasm \|/);
  assert.match(text, /\| lite 2×32² \| train step \| wasm\+native \|/);
  assert.match(text, /PyTorch 1\.13/);
  assert.match(text, /\| PyTorch median \[min–max\], the faster layout \| PyTorch NCHW · channels-last \|/);
  assert.match(text, /\| lite 2×32² \| train step \| wasm\+native \| [^|]+ \| [^|]+ \((NCHW|channels-last)\) \| NCHW [\d.]+ s · channels-last [\d.]+ s \|/);
  // The yardstick: the machine's best on one large convolution, and each case as a fraction of it.
  assert.match(text, /Limit: [\d.]+ GMAC\/s, a 3×3 convolution, 64 → 64 channels on 1 × 192², on wasm/);
  assert.match(text, /\| tfjs of limit \| PyTorch of limit \|/);
  assert.match(text, /\| lite 2×32² \| train step \| wasm\+native \| [^\n]* \| \d+% \| \d+% \|/);
  assert.match(text, /Limit: [^\n]*; on 1 thread \(for the rows that say so\) [\d.]+ GMAC\/s;/);
  assert.match(text, /\| lite 2×32², 1 thread \| train step \| wasm\+native \| [^\n]* \| \d+% \| \d+% \|/);
  assert.not.match(text, /\| lite 2×32², 1 thread \| [^|]+ \| wasm \|/);
});

test.run();

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { openDataset } from '../../src/data/open-dataset';
import { readRaster } from '../../src/data/image';
import { outputName } from '../../src/eval/evaluate';
import { COMMITTED_RESTORATIONS, readCached } from '../../src/infer/restoration-cache';
import { maximCache, maximUnavailable } from '../../src/peers/maxim';
import { peerReportRows } from '../../src/bench/report';
import type { PeerCaseResult } from '../../src/bench/peer-case';

const root = path.join(__dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maxim-'));
const missing = maximUnavailable(); // the test command installs it (setup.sh --tests)

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DEBLUR_BACKEND: 'wasm' }, timeout: 600_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const maybe = missing ? test.skip : test;
if (missing) console.log(`tests/peers/maxim: skipped: ${missing}`);

maybe('eval --weights maxim prints the JSON the lab\'s weights print, MAXIM gains over the blurred input, and its committed restoration is what it computes (one sample test image)', async () => {
  const saved = path.join(dir, 'saved');
  const peer = cli('eval', '--data', 'data/sample', '--weights', 'maxim', '--limit', '1', '--no-baselines', '--json', '--save', saved);
  assert.is(peer.code, 0, peer.err);
  const ours = cli('eval', '--data', 'data/sample', '--weights', 'weights/lite-canonical', '--limit', '1', '--no-baselines', '--json');
  assert.is(ours.code, 0, ours.err);
  const a = JSON.parse(peer.out) as Record<string, unknown> & { gain: { psnr: number; ssim: number } };
  const b = JSON.parse(ours.out) as Record<string, unknown>;
  assert.equal(Object.keys(a).sort(), Object.keys(b).sort());
  assert.ok(a.gain.psnr > 1, `MAXIM's gain ${a.gain.psnr} dB`);
  // The committed restoration of this image (data/restored/, read by notebook 08 and the demo) is
  // what MAXIM computes now: equal up to float rounding across thread counts (one 8-bit level).
  const pair = (await openDataset('data/sample', { split: 'test' })).pairs[0]!;
  const blur = (await readRaster(pair.blur)).raster;
  const committed = await readCached({ ...maximCache(), readFrom: [COMMITTED_RESTORATIONS] }, 'auto', blur);
  assert.ok(committed, `no committed restoration of ${pair.id} in ${COMMITTED_RESTORATIONS}`);
  const fresh = (await readRaster(path.join(saved, outputName(pair.id)))).raster;
  let worst = 0;
  for (let i = 0; i < fresh.data.length; i++) worst = Math.max(worst, Math.abs(fresh.data[i]! - committed.restored.data[i]!));
  assert.ok(worst <= 1 / 255 + 1e-6, `committed vs fresh: ${Math.round(worst * 255)} levels apart`);
});

// Not a gain test: on crops this small MAXIM lacks context and its PSNR drops (measured at 64² and
// 70×60 on this image: −0.9 to −2.8 dB; +0.05 at 128², +3.5 on a whole 256² image: the eval test above).
maybe('deblur --weights maxim on a 70×60 crop (not a multiple of 64): padded, restored, cropped back to 70×60, and changed', async () => {
  const window = { left: 90, top: 100, width: 70, height: 60 };
  const base = path.join(root, 'data', 'sample', 'test', 'coffee');
  await sharp(path.join(base, 'blur', '000001.png')).extract(window).removeAlpha().toFile(path.join(dir, 'blur.png'));
  const r = cli('deblur', path.join(dir, 'blur.png'), path.join(dir, 'out.png'), '--weights', 'maxim');
  assert.is(r.code, 0, r.err);
  const meta = await sharp(path.join(dir, 'out.png')).metadata();
  assert.equal([meta.width, meta.height], [70, 60]);
  const [out, blur] = await Promise.all(['out.png', 'blur.png'].map((n) => sharp(path.join(dir, n)).removeAlpha().raw().toBuffer()));
  let diff = 0;
  for (let i = 0; i < out!.length; i++) diff += Math.abs(out![i]! - blur![i]!);
  assert.ok(diff / out!.length > 1, `mean change ${(diff / out!.length).toFixed(2)} levels`);
});

maybe('bench --peer maxim times its inference on one image (JSON, and a row of the suite\'s table with no twin); bad options are one-line errors', () => {
  const r = cli('bench', '--peer', 'maxim', '--size', '64x128', '--steps', '2', '--warmup', '0', '--warmup-seconds', '0', '--json');
  assert.is(r.code, 0, r.err);
  const got = JSON.parse(r.out.trim().split('\n').pop()!) as PeerCaseResult;
  assert.is(got.peer, 'maxim');
  assert.equal([got.height, got.width, got.tiles, got.infer.runs], [64, 128, 1, 2]);
  assert.ok(got.inferMs > 0 && got.infer.min <= got.inferMs && got.inferMs <= got.infer.max, JSON.stringify(got.infer));
  assert.match(r.err, /bench: infer run 2\/2: \d+\.\d\d s/);
  const [row] = peerReportRows([{ case: { peer: 'maxim', height: 64, width: 128 }, tfjs: { 'wasm+native': got } }]);
  assert.is(row!.case, 'maxim 1×128×64');
  assert.is(row!.tfjs, `${(got.infer.median / 1000).toFixed(2)} s [${(got.infer.min / 1000).toFixed(2)}–${(got.infer.max / 1000).toFixed(2)}]`);
  assert.equal([row!.torch, row!.ratio], ['no twin', '–']);
  for (const [args, says] of [
    [['--peer', 'maxim', '--mode', 'train'], /a peer is timed at inference only/],
    [['--peer', 'mixam'], /unknown peer 'mixam' \(choose maxim\)/],
    [['--peer', 'maxim', '--variant', 'lite'], /give --variant or --peer, not both/],
  ] as const) {
    const bad = cli('bench', ...args);
    assert.is(bad.code, 2, bad.err);
    assert.match(bad.err, says);
    assert.not.match(bad.err, /\n\s+at /);
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

const root = path.join(__dirname, '..');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DEBLUR_BACKEND: 'wasm' }, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('summary --json: MIMO-UNet counts, as the issue pins them', () => {
  const r = cli('summary', '--variant', 'mimo', '--json');
  assert.is(r.code, 0, r.err);
  const s = JSON.parse(r.out) as { params: number; macs: number; modules: unknown[] };
  assert.is(s.params, 6807171);
  assert.ok(Number.isInteger(s.macs) && s.macs > 6e10);
  assert.is((JSON.parse(cli('summary', '--variant', 'mimo', '--blocks', '20', '--json').out) as { params: number }).params, 16107651);
  assert.is((JSON.parse(cli('summary', '--variant', 'full', '--json').out) as { params: number }).params, 2180667);
});

test('summary table ends with the total, and --size changes only multiply-adds', () => {
  const a = JSON.parse(cli('summary', '--variant', 'lite', '--size', '128x64', '--json').out) as { params: number; macs: number; height: number; width: number };
  const b = JSON.parse(cli('summary', '--variant', 'lite', '--json').out) as { params: number; macs: number };
  assert.is(a.params, b.params);
  assert.is(a.height, 128);
  assert.is(a.width, 64);
  // Convolutions scale with the pixel count; the attention MLPs (dense layers) do not, and are tiny.
  const ratio = b.macs / a.macs;
  assert.ok(ratio > 7.99 && ratio < 8, `256² vs 128×64 MAC ratio ${ratio}`);
  const t = cli('summary', '--variant', 'lite');
  assert.match(t.out.trim().split('\n').pop()!, /^total\s+[\d,]+\s+[\d.]+$/);
});

test('user mistakes: one line on stderr, non-zero exit, no stack trace', () => {
  for (const args of [
    ['summary', '--variant', 'nope'],
    ['summary', '--size', '37x50'],
    ['summary', '--channels', 'ten'],
    ['summary', '--variant', 'full', '--channels', '6'],
    ['demo', '--real', 'no/such/file.png', '--weights', 'no/such/weights'],
    ['demo', '--backend', 'cuda'],
    ['nonsense'],
  ]) {
    const r = cli(...args);
    assert.ok(r.code !== 0, `${args.join(' ')}: exit 0`);
    assert.not.match(r.err, /\n\s+at /, `${args.join(' ')}: stack trace\n${r.err}`);
    assert.ok(r.err.trim().length > 0, `${args.join(' ')}: said nothing`);
  }
  assert.match(cli('demo', '--weights', 'no/such/weights').err, /--weights no\/such\/weights: no such folder/);
  assert.match(cli('summary', '--variant', 'full', '--channels', '6').err, /msrm needs channels divisible by 4/);
});

/** A seeded, untrained lite network saved as a weights folder: these tests need no shipped checkpoint. */
async function seededWeights(dir: string): Promise<string> {
  const { buildNet, variantConfig, saveModel, selectBackend } = await import('../src');
  await selectBackend({ backend: 'cpu', log: () => undefined });
  const model = buildNet(variantConfig('lite'), { seed: 1 });
  const out = path.join(dir, 'weights');
  await saveModel(model, out);
  model.dispose();
  return out;
}

test('deblur keeps an odd-sized RGBA image\'s size; --scales writes S2 and S3 at ½ and ¼', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deblur-odd-'));
  const image = path.join(dir, 'odd.png');
  // 30×22: not a multiple of 4, RGBA, to exercise padding and alpha handling
  await sharp({ create: { width: 30, height: 22, channels: 4, background: { r: 200, g: 100, b: 50, alpha: 0.5 } } }).png().toFile(image);
  const r = cli('deblur', image, path.join(dir, 'out.png'), '--weights', await seededWeights(dir), '--scales');
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /backend wasm on /);
  assert.match(r.out, /peak memory: \d+ MiB RSS, wasm heap \d+ MiB of 4096/);
  for (const [name, w, h] of [['out', 30, 22], ['out_S2', 15, 11], ['out_S3', 8, 6]] as const) {
    const m = await sharp(path.join(dir, `${name}.png`)).metadata();
    assert.equal([m.width, m.height, m.channels], [w, h, 3], name);
  }
  fs.rmSync(dir, { recursive: true });
});

test('deblur --backend webgpu: the software adapter gives wasm\'s result, or a clear refusal', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deblur-webgpu-'));
  const image = path.join(dir, 'in.png');
  await sharp(path.join(root, 'data/images/astronaut.png')).extract({ left: 160, top: 100, width: 64, height: 48 }).png().toFile(image);
  const weights = await seededWeights(dir);
  const gpu = cli('deblur', image, path.join(dir, 'gpu.png'), '--weights', weights, '--backend', 'webgpu');
  if (gpu.code !== 0) {
    // No adapter of any kind on this machine (no Vulkan driver, no EGL): that must be said plainly.
    assert.match(gpu.err, /deblur-lab: backend webgpu is not available here: /);
    assert.not.match(gpu.err, /\n\s+at /);
    return;
  }
  assert.match(gpu.err, /backend webgpu on /);
  const cpuSide = cli('deblur', image, path.join(dir, 'wasm.png'), '--weights', weights, '--backend', 'wasm');
  assert.is(cpuSide.code, 0, cpuSide.err);
  const a = await sharp(path.join(dir, 'gpu.png')).raw().toBuffer();
  const b = await sharp(path.join(dir, 'wasm.png')).raw().toBuffer();
  assert.is(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  assert.ok(worst <= 1, `webgpu and wasm outputs differ by ${worst}/255`);
  fs.rmSync(dir, { recursive: true });
});

test.run();

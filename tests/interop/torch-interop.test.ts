import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { loadWeights } from '../../src/infer/weights';
import { configDifference, LAB_RESAMPLING, TORCH_RESAMPLING, variantConfig, type NetConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { restore } from '../../src/infer/restore';
import { moduleArgs, PYTHON, pythonEnv } from '../../src/python';
import { seeded, sizeOf, startBackendForTest } from '../helpers';

// Debian's python3-torch (scripts/setup.sh --tests installs it).
const root = path.join(__dirname, '..', '..');
const REFERENCE = moduleArgs('mimo_unet_reference');
const TWIN_CKPT = [path.join(root, 'tests', 'python', 'twin_checkpoint.py')];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-interop-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DEBLUR_BACKEND: 'wasm' }, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function python(args: string[], input?: string): string {
  const r = spawnSync(PYTHON, args, { cwd: root, input, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 300_000, env: pythonEnv() });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

/** PyTorch's three outputs (NHWC, flat) for a float input, through a script's `forward` command. */
function torchOutputs(args: string[], input: Float32Array, shape: number[]): number[][] {
  const file = path.join(dir, `x-${shape.join('x')}.bin`);
  fs.writeFileSync(file, Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  return (JSON.parse(python(args, JSON.stringify({ input: file, shape }))) as { outputs: number[][] }).outputs;
}

/** The lab's three outputs through restore() (mirror padding to a multiple of 4, as the reference does). */
async function labOutputs(model: tf.LayersModel, input: Float32Array, shape: number[]): Promise<Float32Array[]> {
  const x = tf.tensor4d(input, shape as [number, number, number, number]);
  const r = restore(model, x); // restore() tidies its own intermediates
  x.dispose();
  const out = await Promise.all([r.s3, r.s2, r.s1].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([r.s3, r.s2, r.s1]);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'sizes');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const image = (shape: number[], seed: number) => seeded(sizeOf(shape), seed).map((v) => 0.5 + 0.5 * v);

test('a MIMO-UNet checkpoint in the official layout: import-torch finds the architecture, and the network computes what PyTorch computes (1e-5, the issue asks 1e-4; sides multiple of 4 and not; cpu and wasm)', async () => {
  const ckpt = path.join(dir, 'mimo.pkl');
  python([...REFERENCE, 'make', ckpt, '--seed', '1']);
  const r = cli('import-torch', ckpt, '--out', path.join(dir, 'mimo'), '--note', 'random weights made by the test');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /imported mimo-unet \(official layout, 6,807,171 parameters, 244 tensors\)/);
  assert.match(fs.readFileSync(path.join(dir, 'mimo', 'card.md'), 'utf8'), /random weights made by the test/);
  for (const shape of [[1, 32, 48, 3], [1, 30, 45, 3]]) {
    const x = image(shape, 3);
    const theirs = torchOutputs([...REFERENCE, 'forward', ckpt], x, shape);
    // The cpu backend (plain JavaScript) takes 3.4 s for this network at 32×48: one size is enough there.
    for (const backend of shape[1] === 30 ? (['cpu', 'wasm'] as const) : (['wasm'] as const)) {
      await startBackendForTest(backend);
      const w = await loadWeights(path.join(dir, 'mimo'));
      assert.equal(w.config.resampling, TORCH_RESAMPLING);
      const ours = await labOutputs(w.model, x, shape);
      for (const k of [0, 1, 2]) {
        const d = maxAbsDiff(ours[k]!, theirs[k]!);
        assert.ok(d < 1e-5, `${backend} ${shape.join('×')} output ${k}: max |lab − PyTorch| = ${d}`);
      }
      if (backend === 'wasm' && shape[1] === 32) {
        // The conventions matter: the same weights applied the lab's way compute something else.
        const labWay = buildNet({ ...w.config, resampling: { ...LAB_RESAMPLING } });
        for (const layer of labWay.layers) if (layer.weights.length) layer.setWeights(w.model.getLayer(layer.name).getWeights());
        const other = await labOutputs(labWay, x, shape);
        // (Measured: S3 differs by 0.56, S1 by 0.008; the tolerance above is 1e-4.)
        assert.ok(maxAbsDiff(other[0]!, theirs[0]!) > 1e-2, 'the box pyramid should change S3');
        assert.ok(maxAbsDiff(other[2]!, theirs[2]!) > 1e-3, 'the conventions should change S1');
        labWay.dispose();
      }
      w.model.dispose();
    }
  }
});

test('must show: `deblur --no-tiling` with imported weights writes the PNG PyTorch writes, within one 8-bit level (150×97 crop)', async () => {
  const crop = path.join(dir, 'crop.png');
  await sharp(path.join(root, 'data', 'sample', 'test', 'coffee', 'blur_gamma', '000001.png')).extract({ left: 20, top: 30, width: 150, height: 97 }).removeAlpha().toFile(crop);
  const r = cli('deblur', crop, path.join(dir, 'lab.png'), '--weights', path.join(dir, 'mimo'), '--no-tiling');
  assert.is(r.code, 0, r.err);
  python([...REFERENCE, 'run', path.join(dir, 'mimo.pkl'), crop, path.join(dir, 'torch.png')]);
  const [a, b, input] = await Promise.all(['lab.png', 'torch.png', 'crop.png'].map((n) => sharp(path.join(dir, n)).removeAlpha().raw().toBuffer()));
  assert.is(a!.length, 150 * 97 * 3);
  assert.ok(maxAbsDiff(a!, b!) <= 1, `max 8-bit difference ${maxAbsDiff(a!, b!)}`);
  assert.ok(maxAbsDiff(a!, input!) > 10, 'random weights should change the image (else the check proves nothing)');
});

test("MIMO-UNet+'s depth (N = 20; narrowed to C = 8 to keep the suite quick) saved in torch's legacy (pre-1.6) file format: found from the keys, --arch mimo-unet-plus accepted, same outputs", async () => {
  const ckpt = path.join(dir, 'plus.pkl');
  python([...REFERENCE, 'make', ckpt, '--plus', '--legacy', '--channels', '8', '--seed', '2']);
  const r = cli('import-torch', ckpt, '--out', path.join(dir, 'plus'), '--arch', 'mimo-unet-plus');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /imported MIMO-UNet layout, C = 8, N = 20 \(official layout/);
  const shape = [1, 28, 36, 3];
  const x = image(shape, 4);
  const theirs = torchOutputs([...REFERENCE, 'forward', ckpt, '--plus', '--channels', '8'], x, shape);
  await startBackendForTest('wasm');
  const w = await loadWeights(path.join(dir, 'plus'));
  const ours = await labOutputs(w.model, x, shape);
  for (const k of [0, 1, 2]) assert.ok(maxAbsDiff(ours[k]!, theirs[k]!) < 1e-5, `output ${k}: ${maxAbsDiff(ours[k]!, theirs[k]!)}`);
  w.model.dispose();
});

test("the twin's layout from PyTorch's side (a bare state_dict with DDP's 'module.' prefix): the config is read from the keys and the outputs match (sides multiple of 4 and not; cpu and wasm)", async () => {
  const cfg: NetConfig = variantConfig('lite');
  const ckpt = path.join(dir, 'twin.pt');
  python([...TWIN_CKPT, 'make', ckpt, JSON.stringify(cfg), '--ddp', '--seed', '5']);
  const r = cli('import-torch', ckpt, '--out', path.join(dir, 'twin'));
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /imported twin \(twin layout, 251,523 parameters/);
  for (const shape of [[1, 24, 40, 3], [1, 22, 37, 3]]) {
    const x = image(shape, 6);
    const theirs = torchOutputs([...TWIN_CKPT, 'forward', ckpt, JSON.stringify(cfg)], x, shape);
    for (const backend of ['cpu', 'wasm'] as const) {
      await startBackendForTest(backend);
      const w = await loadWeights(path.join(dir, 'twin'));
      assert.is(configDifference(w.config, cfg), '');
      const ours = await labOutputs(w.model, x, shape);
      for (const k of [0, 1, 2]) assert.ok(maxAbsDiff(ours[k]!, theirs[k]!) < 1e-5, `${backend} ${shape.join('×')} output ${k}: ${maxAbsDiff(ours[k]!, theirs[k]!)}`);
      w.model.dispose();
    }
  }
});

test('export-torch → import-torch gives back every weight bit for bit and the config; PyTorch computes the same function from the exported file', async () => {
  const out = path.join(dir, 'canonical.pt');
  const e = cli('export-torch', '--weights', 'weights/lite-canonical', '--out', out);
  assert.is(e.code, 0, e.err);
  assert.match(e.out, /in the twin layout/);
  const i = cli('import-torch', out, '--out', path.join(dir, 'back'));
  assert.is(i.code, 0, i.err);
  await startBackendForTest('wasm');
  const a = await loadWeights('weights/lite-canonical');
  const b = await loadWeights(path.join(dir, 'back'));
  assert.is(configDifference(a.config, b.config), '');
  assert.match(fs.readFileSync(path.join(dir, 'back', 'card.md'), 'utf8'), /the checkpoint's own record/);
  const wa = a.model.getWeights();
  const wb = b.model.getWeights();
  assert.is(wa.length, wb.length);
  for (const [k, t] of wa.entries()) assert.equal(Array.from(await wb[k]!.data()), Array.from(await t.data()), a.model.weights[k]!.name);
  const shape = [1, 32, 32, 3];
  const x = image(shape, 8);
  const theirs = torchOutputs([...TWIN_CKPT, 'forward', out, JSON.stringify(a.config)], x, shape);
  const ours = await labOutputs(a.model, x, shape);
  for (const k of [0, 1, 2]) assert.ok(maxAbsDiff(ours[k]!, theirs[k]!) < 1e-4, `output ${k}: ${maxAbsDiff(ours[k]!, theirs[k]!)}`);
  a.model.dispose();
  b.model.dispose();
});

test("an imported MIMO-UNet exports in MIMO-UNet's own layout, which MIMO-UNet's code loads; a lab-trained mimo is refused that layout", async () => {
  const out = path.join(dir, 'again.pkl');
  const e = cli('export-torch', '--weights', path.join(dir, 'mimo'), '--out', out);
  assert.is(e.code, 0, e.err);
  assert.match(e.out, /in the official layout \(244 tensors/);
  const shape = [1, 16, 20, 3];
  const x = image(shape, 9);
  const before = torchOutputs([...REFERENCE, 'forward', path.join(dir, 'mimo.pkl')], x, shape);
  const after = torchOutputs([...REFERENCE, 'forward', out], x, shape);
  assert.equal(after, before);
  const refused = cli('export-torch', '--weights', 'weights/ablation-mimo-s0', '--out', path.join(dir, 'no.pkl'), '--layout', 'official');
  assert.is(refused.code, 2);
  assert.match(refused.err, /^deblur-lab: --layout official: this network computes with the lab's resampling .*Use --layout twin/);
  assert.not.ok(fs.existsSync(path.join(dir, 'no.pkl')));
});

test('user mistakes: one line, exit 2, nothing written', () => {
  // A narrow MIMO-UNet (C = 8) reads 16× faster than the real one and has the same keys.
  const small = path.join(dir, 'small.pkl');
  python([...REFERENCE, 'make', small, '--channels', '8']);
  const junk = path.join(dir, 'junk.pt');
  fs.writeFileSync(junk, 'not a checkpoint');
  const cases: [string[], RegExp][] = [
    [['import-torch', junk, '--out', path.join(dir, 'j')], /junk\.pt: not a PyTorch checkpoint \(neither torch\.save's zip format nor its older pickle format\)/],
    [['import-torch', path.join(dir, 'missing.pt'), '--out', path.join(dir, 'j')], /missing\.pt: no such file/],
    [['import-torch', small, '--out', path.join(dir, 'j'), '--arch', 'mimo-unet-plus'], /--arch mimo-unet-plus has 20 ResBlocks per group, the checkpoint 8 \(it is mimo-unet\)/],
    [['import-torch', small, '--out', path.join(dir, 'j'), '--arch', 'twin'], /--arch twin, but its keys are in MIMO-UNet's official layout/],
    [['import-torch', small, '--out', path.join(dir, 'j'), '--arch', 'unet'], /--arch must be one of mimo-unet, mimo-unet-plus, twin/],
    [['import-torch', small, '--out', path.join(dir, 'mimo')], /already holds a network \(model\.json\): pass --force/],
    [['export-torch', '--weights', 'weights/lite-canonical', '--out', path.join(dir, 'canonical.pt')], /already exists: pass --force/],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    const lines = r.err.trim().split('\n');
    assert.is(lines.length, 1, r.err);
    assert.match(lines[0]!, message);
  }
  assert.not.ok(fs.existsSync(path.join(dir, 'j')));
});

test('a checkpoint that pickles more than tensors (here the argparse.Namespace a training script kept) is read only with --trust-pickle', () => {
  const ckpt = path.join(dir, 'with-args.pkl');
  python(['-c', `import argparse, torch; s = torch.load(${JSON.stringify(path.join(dir, 'small.pkl'))}); s['args'] = argparse.Namespace(lr=1e-4); torch.save(s, ${JSON.stringify(ckpt)})`]);
  const refused = cli('import-torch', ckpt, '--out', path.join(dir, 'args'));
  assert.is(refused.code, 2, refused.err);
  assert.match(refused.err, /reading it would run code it names; if you trust its source, pass --trust-pickle/);
  assert.not.ok(fs.existsSync(path.join(dir, 'args')));
  const r = cli('import-torch', ckpt, '--out', path.join(dir, 'args'), '--trust-pickle');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /imported MIMO-UNet layout, C = 8, N = 8/);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();

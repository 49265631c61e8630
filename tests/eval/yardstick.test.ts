import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { YARDSTICK_GENERATORS } from '../../src/data/synth/generators';
import type { YardstickReport } from '../../src/eval/yardstick';
import { ROOT, runCli } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yardstick-'));
const set = path.join(tmp, 'yardstick');
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], script?: string): { code: number | null; out: string; err: string } {
  if (!script) return runCli(args);
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// At least one pair per photo: 16 test photos, 25 training photos.
const build = ['--out', set, '--test-pairs', '20', '--tuning-pairs', '30', '--crop', '64', '--jobs', '2'];

test('data:yardstick builds one set per generator from the test photos, with a tuning split from the training photos; again is a no-op', () => {
  const r = run(build, 'build-yardstick.ts');
  assert.is(r.code, 0, r.err);
  for (const g of YARDSTICK_GENERATORS) {
    const manifest = JSON.parse(fs.readFileSync(path.join(set, g.name, 'synth.json'), 'utf8')) as { pairs: Array<{ split: string; source: string }> };
    assert.is(manifest.pairs.filter((p) => p.split === 'test').length, 20, g.name);
    assert.is(manifest.pairs.filter((p) => p.split === 'train').length, 30, g.name);
  }
  const attribution = fs.readFileSync(path.join(set, 'ATTRIBUTION.md'), 'utf8');
  assert.match(attribution, /\| scored \| Kleiber/);
  assert.not.match(attribution, /\| scored \| Aitzgorri/, 'a training photo is never scored');
  const again = run(build, 'build-yardstick.ts');
  assert.is(again.code, 0, again.err);
  assert.match(again.out, /already built with these settings/);
});

test('eval --yardstick: per generator, which the network trained with, the held-out summary and the no-blur line; the gains are eval --data\'s', () => {
  const r = run(['eval', '--yardstick', set, '--weights', 'weights/lite-sample', '--trained-on', 'shake', '--json']);
  assert.is(r.code, 0, r.err);
  const report = JSON.parse(r.out) as YardstickReport;
  assert.equal(report.scores.map((s) => s.generator), YARDSTICK_GENERATORS.map((g) => g.name));
  assert.equal(report.scores.map((s) => s.trained), YARDSTICK_GENERATORS.map((g) => g.name === 'shake'));
  assert.equal(report.heldOut!.generators, YARDSTICK_GENERATORS.map((g) => g.name).filter((n) => n !== 'shake'));
  for (const s of report.scores) {
    const mean = s.images.reduce((a, i) => a + i.gain, 0) / s.images.length;
    assert.ok(Math.abs(mean - s.gain) < 1e-9, `${s.generator}: mean of image gains`);
    assert.is(s.worst.gain, Math.min(...s.images.map((i) => i.gain)));
    assert.is(s.worse, s.images.filter((i) => i.gain < 0).length);
    assert.ok(s.usm !== null, `${s.generator}: unsharp mask scored`);
  }
  assert.is(report.noBlurGain, report.scores.find((s) => s.generator === 'none')!.gain);
  const gopro = run(['eval', '--data', path.join(set, 'gopro'), '--weights', 'weights/lite-sample', '--no-baselines', '--json']);
  assert.is(gopro.code, 0, gopro.err);
  const direct = JSON.parse(gopro.out) as { gain: { psnr: number } };
  assert.ok(Math.abs(direct.gain.psnr - report.scores.find((s) => s.generator === 'gopro')!.gain) < 1e-9, 'the same gain as eval --data on that set');

  const text = run(['eval', '--yardstick', set, '--weights', 'weights/lite-sample', '--trained-on', 'shake', '--generators', 'gopro,none', '--no-baselines']);
  assert.is(text.code, 0, text.err);
  assert.match(text.out, /generators it was not trained with \(none, gopro\): mean gain [+-]\d+\.\d\d dB; worst image [+-]\d+\.\d\d dB/);
  assert.match(text.out, /no blur: [+-]\d+\.\d\d dB \(a sharp photo should come back as it was/);
});

test('eval --yardstick says what is wrong in one line: no yardstick, an unknown generator, --data beside it', () => {
  const missing = run(['eval', '--yardstick', path.join(tmp, 'nowhere'), '--weights', 'weights/lite-sample']);
  assert.is(missing.code, 2);
  assert.match(missing.err, /no yardstick\.json here; build the yardstick with `npm run data:yardstick`/);
  const unknown = run(['eval', '--yardstick', set, '--weights', 'weights/lite-sample', '--generators', 'motion']);
  assert.is(unknown.code, 2);
  assert.match(unknown.err, /has no generator motion/);
  const both = run(['eval', '--yardstick', set, '--data', 'data/sample', '--weights', 'weights/lite-sample']);
  assert.is(both.code, 2);
  assert.match(both.err, /give one/);
  for (const r of [missing, unknown, both]) assert.not.match(r.err, /\n\s+at /, 'no stack trace');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadRuns } from '../../src/ablation/report';
import { readGoPro } from '../../src/data/gopro';
import { LossLog } from '../../src/train/loss-log';
import { PHOTOS } from '../../scripts/photo-sources';
import { folderDigest } from '../helpers';

const root = path.join(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ablation-'));
const set = path.join(tmp, 'set');
const dir = path.join(tmp, 'ablation');

function script(name: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', path.join(root, 'scripts', name), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DEBLUR_BACKEND: 'wasm' },
    timeout: 600_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const stem = (f: string): string => path.basename(f, path.extname(f));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('data:train: held-out photos never in train/, pairs by area, the same bytes for any --jobs, a rebuild is a no-op', async () => {
  const args = ['--train-pairs', '14', '--held-out-pairs', '9', '--crop', '128', '--seed', '3'];
  const a = script('build-train-set.ts', '--out', set, ...args, '--jobs', '2');
  assert.is(a.code, 0, a.err);
  const train = await readGoPro(set, { split: 'train' });
  const heldOut = await readGoPro(set, { split: 'test' });
  assert.equal([train.problems, heldOut.problems], [[], []]);
  const seqs = (pairs: typeof train.pairs): Set<string> => new Set(pairs.map((p) => path.basename(path.dirname(path.dirname(p.sharp)))));
  assert.equal([...seqs(train.pairs)].sort(), PHOTOS.filter((p) => p.split === 'train').map((p) => stem(p.file)).sort());
  assert.equal([...seqs(heldOut.pairs)].sort(), PHOTOS.filter((p) => p.split === 'test').map((p) => stem(p.file)).sort());
  assert.equal([train.pairs.length, heldOut.pairs.length], [14, 9]);
  const manifest = JSON.parse(fs.readFileSync(path.join(set, 'synth.json'), 'utf8')) as { orientations: boolean; pairs: Array<{ orientation: number; source: string; split: string }> };
  assert.ok(manifest.orientations && manifest.pairs.every((p) => p.orientation >= 0 && p.orientation < 8));
  // Pairs follow the photo's area: 14 over 11 photos is one each, and the 3 left over go to the
  // 1280-wide wallpapers, not to the small scikit-image/scikit-learn photos (about 4× less area).
  const count = (p: (typeof PHOTOS)[number]): number => manifest.pairs.filter((r) => r.source === p.file).length;
  const trainPhotos = PHOTOS.filter((p) => p.split === 'train');
  assert.ok(trainPhotos.filter((p) => p.pkg !== 'lomiri').every((p) => count(p) === 1));
  assert.is(trainPhotos.filter((p) => p.pkg === 'lomiri').reduce((n, p) => n + count(p), 0), 10);
  const attribution = fs.readFileSync(path.join(set, 'ATTRIBUTION.md'), 'utf8');
  for (const p of PHOTOS) assert.ok(attribution.includes(p.file) && attribution.includes(p.author), `${p.file} credited`);

  const one = path.join(tmp, 'set-one-job');
  assert.is(script('build-train-set.ts', '--out', one, ...args, '--jobs', '1').code, 0);
  const digest = folderDigest(set);
  const noReadme = (f: string): boolean => f === 'README.md'; // it records the build's wall time
  assert.is(folderDigest(one, noReadme), folderDigest(set, noReadme), 'one process and two made different files');
  assert.ok(fs.readFileSync(path.join(set, 'README.md'), 'utf8').includes('| train | 14 | 11 |'));

  const again = script('build-train-set.ts', '--out', set, ...args);
  assert.is(again.code, 0, again.err);
  assert.match(again.out, /already built with these settings/);
  const other = script('build-train-set.ts', '--out', set, ...args.slice(0, -1), '4');
  assert.is(other.code, 2);
  assert.match(other.err, /exists and was not built with these settings/);
  assert.is(folderDigest(set), digest, 'a refused build changed the set');
});

test('ablation: trains and scores every run, a second seed for the closest rungs, resumes as a no-op, ships a table', () => {
  const run = script('ablation.ts', '--dir', dir, '--data', set, '--steps', '2', '--variants', 'baseline,full');
  assert.is(run.code, 0, run.err + run.out);
  const runs = loadRuns(path.join(dir, 'runs'));
  assert.equal(runs.map((r) => r.name), ['baseline-s0', 'baseline-s1', 'full-s0', 'full-s1']);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'second-seed.json'), 'utf8')).rungs.sort(), ['baseline', 'full']);
  for (const r of runs) {
    assert.is(r.steps, 2);
    assert.equal(LossLog.read(path.join(r.dir, 'log.csv')).map((x) => x['step']), [1, 2]);
    assert.is(r.heldout!.n, 9, 'every held-out pair scored');
    assert.is(r.sample!.n, 12, "the sample's test split scored");
    assert.equal(r.curve!.points.map((p) => [p.step, p.n]), [[1, 3], [2, 3]]);
  }
  // Same design, same settings: the two seeds differ (weights and batches both follow the seed).
  assert.not.equal(runs[0]!.heldout!.psnr.output, runs[1]!.heldout!.psnr.output);
  assert.is(runs[0]!.params, 525_027);
  assert.is(runs[2]!.params, 251_523);
  const results = fs.readFileSync(path.join(dir, 'results.md'), 'utf8');
  assert.match(results, /\| full-s0 − baseline-s0 \| paper ladder \| 9 \|/);
  assert.match(results, /\| full-s1 − full-s0 \| seed noise \| 9 \|/);

  // Running it again finds everything done: nothing is retrained or rescored.
  const before = folderDigest(path.join(dir, 'runs'));
  const again = script('ablation.ts', '--dir', dir, '--data', set, '--steps', '2', '--variants', 'baseline,full');
  assert.is(again.code, 0, again.err);
  assert.not.match(again.out, /training|resuming|eval-/);
  assert.is(folderDigest(path.join(dir, 'runs')), before);
  const other = script('ablation.ts', '--dir', dir, '--data', set, '--steps', '3', '--variants', 'baseline,full');
  assert.is(other.code, 2);
  assert.match(other.err, /holds a different ablation \(kept vs asked: steps 2 vs 3/);

  const weights = path.join(tmp, 'weights');
  const doc = path.join(tmp, 'ABLATION.md');
  fs.writeFileSync(doc, 'before\n<!-- ablation:start -->\nold\n<!-- ablation:end -->\nafter\n');
  const ship = script('ablation.ts', '--dir', dir, '--data', set, '--steps', '2', '--variants', 'baseline,full', '--ship', '--weights-dir', weights, '--doc', doc);
  assert.is(ship.code, 0, ship.err);
  const shipped = loadRuns(weights);
  assert.equal(shipped.map((r) => r.name), ['baseline-s0', 'baseline-s1', 'full-s0', 'full-s1']);
  for (const r of shipped) {
    assert.ok(fs.existsSync(path.join(r.dir, 'model.json')) && fs.existsSync(path.join(r.dir, 'card.md')));
    assert.equal(r.heldout, runs.find((x) => x.name === r.name)!.heldout, 'shipped with its held-out scores');
  }
  const text = fs.readFileSync(doc, 'utf8');
  assert.ok(text.startsWith('before\n<!-- ablation:start -->\n') && text.endsWith('<!-- ablation:end -->\nafter\n'));
  assert.not.match(text, /\nold\n/);
  assert.match(text, /\| baseline-s1 \| res\/plain, C=16, N=2 \| 525,027 \|/);
});

test.run();

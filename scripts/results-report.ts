/**
 * The README's results table, from what is committed: each network's `eval.json` (written by
 * `npm run weights:ship`: the sample's test pairs, its CC-BY-SA pairs and the held-out pairs of
 * its training set, with the tuned unsharp mask and the oracle Wiener on the same pairs), a peer's
 * committed restorations of the sample (`data/restored/NAME/`, scored here), and the published
 * GoPro numbers beside them:
 *
 *   node -r ts-node/register scripts/results-report.ts weights/A [weights/B …] [data/restored/PEER] [--update-doc NAME] [--doc README.md]
 *
 * `--update-doc NAME` replaces the block between `<!-- results:NAME:start -->` and
 * `<!-- results:NAME:end -->` of the doc.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { writeBlock } from '../src/doc-blocks';
import { UsageError } from '../src/errors';
import { openDataset } from '../src/data/open-dataset';
import { readRaster } from '../src/data/image';
import { scores } from '../src/metrics';
import { committedCache, readCached } from '../src/infer/restoration-cache';
import { HELD_OUT_SET, SAMPLE_SETS } from '../src/eval/sample-sets';
import { SHIPPED_WEIGHTS } from '../src/infer/weights';
import { runMain } from '../src/cli/run-main';

interface Score {
  n: number;
  psnr: number;
  ssim: number;
  gain: number;
}
type SetScores = Partial<Record<string, Score>>;

interface EvalFile {
  reports: Record<string, { n: number; psnr: { input: number; output: number }; ssim: { input: number; output: number } }>;
  baselines: Record<string, { reports?: Record<'usm' | 'wiener', { n: number; psnr: { input: number; output: number }; ssim: { input: number | null; output: number | null } }> }>;
}

/** What the papers report on GoPro's test set (PSNR / SSIM); typed once here, from the papers. */
const PUBLISHED: Record<string, string> = {
  'maxim-deblurring-0.1.0': '32.86 / 0.961 (its paper)',
};
const PAPER_ROW = '| Wan et al. 2023, the paper\'s network (`full`, trained on GoPro) | – | – | – | 31.95 / 0.954 (the paper) |';
const PEER_LABELS: Record<string, string> = { 'maxim-deblurring-0.1.0': 'MAXIM-3S (22.2 M weights, trained on real GoPro blur; a peer)' };

const SETS = [...SAMPLE_SETS.map((s) => s.name), HELD_OUT_SET];

const score = (r: { n: number; psnr: { input: number; output: number }; ssim: { output: number | null } }): Score => ({ n: r.n, psnr: r.psnr.output, ssim: r.ssim.output ?? NaN, gain: r.psnr.output - r.psnr.input });

function readEval(weights: string): EvalFile {
  const file = path.join(weights, 'eval.json');
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no eval report (ship the weights with npm run weights:ship)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as EvalFile;
}

/** A peer's committed restorations of the sample's test sets, scored as eval scores (8-bit outputs against the sharp images). */
async function peerScores(dir: string): Promise<SetScores> {
  const cache = committedCache(dir);
  const out: SetScores = {};
  for (const set of SAMPLE_SETS) {
    const pairs = (await openDataset(set.dir, { split: 'test' })).pairs;
    let psnr = 0;
    let ssim = 0;
    let input = 0;
    for (const p of pairs) {
      const blur = (await readRaster(p.blur)).raster;
      const sharp = (await readRaster(p.sharp)).raster;
      const hit = await readCached(cache, 'auto', blur);
      if (!hit) throw new UsageError(`${dir}: no committed restoration of ${p.blur} (commit them with scripts/commit-restorations.ts)`);
      const s = scores(hit.restored, sharp);
      psnr += s.psnr;
      ssim += s.ssim;
      input += scores(blur, sharp).psnr;
    }
    const n = pairs.length;
    out[set.name] = { n, psnr: psnr / n, ssim: ssim / n, gain: (psnr - input) / n };
  }
  return out;
}

const cell = (s: Score | undefined): string => (s ? `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(3)} (${s.gain >= 0 ? '+' : ''}${s.gain.toFixed(2)})` : '–');

/** The table, with the first network's inputs and baselines as the reference rows. */
export async function resultsTable(sources: readonly string[]): Promise<string> {
  const networks = sources.filter((s) => fs.existsSync(path.join(s, 'eval.json')));
  const peers = sources.filter((s) => !networks.includes(s));
  if (networks.length === 0) throw new UsageError('name at least one weights folder with an eval.json');
  const evals = networks.map(readEval);
  const first = evals[0]!;
  const n = (set: string): string => `${first.reports[set]?.n ?? '–'}`;
  const row = (label: string, per: SetScores, published = '–'): string => `| ${label} | ${SETS.map((s) => cell(per[s])).join(' | ')} | ${published} |`;
  const fromReports = (e: EvalFile): SetScores => Object.fromEntries(SETS.filter((s) => e.reports[s]).map((s) => [s, score(e.reports[s]!)]));
  const baseline = (which: 'usm' | 'wiener'): SetScores => Object.fromEntries(SETS.flatMap((s) => { const r = first.baselines[s]?.reports?.[which]; return r ? [[s, score(r)]] : []; }));
  const input: SetScores = Object.fromEntries(SETS.filter((s) => first.reports[s]).map((s) => { const r = first.reports[s]!; return [s, { n: r.n, psnr: r.psnr.input, ssim: r.ssim.input, gain: 0 }]; }));
  const lines = [
    `| | sample test (${n(SETS[0]!)} pairs) | sample CC-BY-SA (${n(SETS[1]!)}) | held-out, its training blur (${n(HELD_OUT_SET)}) | GoPro test, published |`,
    '|---|---|---|---|---|',
    row('blurred input', input),
    row('unsharp mask, tuned on each set\'s training split', baseline('usm')),
    row('Wiener deconvolution with an oracle kernel, fitted from the sharp image (an upper reference, not a competitor)', baseline('wiener')),
  ];
  for (const [i, w] of networks.entries()) {
    const name = path.basename(w);
    const training = JSON.parse(fs.readFileSync(path.join(w, 'training.json'), 'utf8')) as { variant?: string; step: number };
    const shipped = path.resolve(w) === path.resolve(SHIPPED_WEIGHTS) ? ', shipped' : '';
    lines.push(row(`**${name}** (\`${training.variant ?? 'custom'}\`${shipped}; ${training.step} steps on the lab's synthetic blur)`, fromReports(evals[i]!)));
  }
  for (const p of peers) {
    const name = path.basename(p);
    lines.push(row(PEER_LABELS[name] ?? name, await peerScores(p), PUBLISHED[name]));
  }
  lines.push(PAPER_ROW);
  lines.push('', 'Mean PSNR (dB) / SSIM, and in brackets the PSNR gain over the blurred input. The sample and held-out columns are 256² crops of photos blurred by the lab\'s synthesiser; GoPro\'s test set is 1111 real 1280×720 frames, so the last column is not comparable with the others: it says what the published networks reach on the benchmark they were trained for.');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cmd = new Command('results-report')
    .argument('<sources...>', 'weights folders (with eval.json), then committed peer restorations (data/restored/NAME)')
    .option('--update-doc <name>', 'replace that results block in the doc')
    .option('--doc <file>', 'the doc to update', 'README.md')
    .parse(process.argv);
  const o = cmd.opts<{ updateDoc?: string; doc: string }>();
  const table = await resultsTable(cmd.args);
  console.log(table);
  if (o.updateDoc) {
    writeBlock(o.doc, 'results', o.updateDoc, table, cmd.args);
    console.log(`updated the ${o.updateDoc} block of ${o.doc}`);
  }
}

if (require.main === module) runMain('results-report', main);

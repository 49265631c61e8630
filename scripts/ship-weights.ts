/**
 * Ships a trained network (`npm run weights:ship -- --run build/train-lite --name lite-sample`):
 * copies the model of a run's checkpoint to weights/<name>/, scores it on the sample's test split
 * (and its CC-BY-SA test pairs), and writes the weights card from the checkpoint's own record and
 * those scores, so every number on the card comes from this command.
 *
 * weights/<name>/: model.json + shards (the standard tfjs format), card.md, eval.json (the full
 * eval reports), training.json (the checkpoint's training state), log.csv (the loss per step).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { selectBackend } from '../src/backend';
import { openDataset } from '../src/data/open-dataset';
import { evaluate, type EvalReport } from '../src/eval/evaluate';
import { loadWeights } from '../src/infer/weights';
import { configDifference } from '../src/cli/model-options';
import { designOf, variantConfig } from '../src/model/config';
import { summarize } from '../src/model/summary';
import * as tf from '@tensorflow/tfjs';
import { baselinesFor, type BaselineScores } from '../src/eval/baselines';
import { saveModel } from '../src/model/io';
import { findCheckpoint, readCheckpoint, readTrainingState, type TrainingState } from '../src/train/checkpoint';
import { readCurve, type CurvePoint } from '../src/train/curve';
import { legacyLedger, summarizeLedger } from '../src/train/ledger';
import { RECIPE_FILE } from '../src/train/recipe';
import { LossLog } from '../src/train/loss-log';
import { describeSchedule } from '../src/train/schedule';
import { DEFAULT_YARDSTICK, evaluateYardstick, HARM_DB, readYardstick, type YardstickReport, type YardstickSummary, WEIGHTS_YARDSTICK } from '../src/eval/yardstick';
import { trainedOnOf } from '../src/train/provenance';
import { LOCK_FILE, takeLock } from '../src/train/lock';
import { SAMPLE_SETS } from '../src/eval/sample-sets';
import { runMain } from '../src/cli/run-main';
import { UsageError } from '../src/errors';


function trainCommand(s: TrainingState, run: string): string {
  const net = s.variant && !configDifference(s.config, variantConfig(s.variant)) ? `--variant ${s.variant}` : `--config ${run}/config.json`;
  const sched = s.schedule;
  const lr = sched.kind === 'cosine' ? `--lr ${sched.initial} --lr-final ${sched.final}` : sched.kind === 'step' ? `--schedule step --lr ${sched.initial} --lr-every ${sched.every}` : `--schedule constant --lr ${sched.initial}`;
  const p = s.pipeline;
  return `npm run cli -- train --data ${s.data.root} ${net} --out ${run} --steps ${s.plannedSteps} --batch ${p.batch} --crop ${p.crop} ${lr} --seed ${p.seed}${p.flip ? '' : ' --no-flip'}`;
}

/** The card's row on where the training images come from and under which licences. */
function trainingImages(s: TrainingState): string {
  if (path.resolve(s.data.root) === path.resolve('build/data/gopro-synth')) {
    return '| training images | crops of the 11 training photos of data/sample (CC-BY-4.0, CC-BY-2.0, CC0-1.0 or public domain), turned and synthetically blurred by `npm run data:train`; authors and sources in [data/sample/ATTRIBUTION.md](../../data/sample/ATTRIBUTION.md) |\n';
  }
  if (fs.existsSync(path.join(s.data.root, 'ATTRIBUTION.md')) && path.resolve(s.data.root) !== path.resolve('data/sample')) {
    return `| training images | crops of the photos listed with their authors and licences in [TRAINING-PHOTOS.md](TRAINING-PHOTOS.md) (the training split only), synthetically blurred by \`npm run data:train\`${s.init ? `; started from ${s.init.weights} (${s.init.how === 'grow' ? 'grown' : 'copied'}), whose own data its card lists` : ''} |\n`;
  }
  if (path.resolve(s.data.root) !== path.resolve('data/sample')) return `| training images | see the licences of ${s.data.root} |\n`;
  return '| training images | 11 photos under CC-BY-4.0, CC-BY-2.0, CC0-1.0 or in the public domain, synthetically blurred; authors and sources in [data/sample/ATTRIBUTION.md](../../data/sample/ATTRIBUTION.md) (the CC-BY-SA pairs are test-only) |\n';
}

const improved = (r: EvalReport): number => r.images.filter((i) => i.psnr.output > i.psnr.input).length;

function row(name: string, r: EvalReport): string {
  const f = (x: number | null, d: number): string => (x === null ? '–' : x.toFixed(d));
  return `| ${name} | ${r.n} | ${f(r.psnr.input, 2)} | ${f(r.psnr.output, 2)} | ${r.gain.psnr >= 0 ? '+' : ''}${r.gain.psnr.toFixed(2)} | ${f(r.ssim.input, 4)} | ${f(r.ssim.output, 4)} |`;
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

/** The network against the classical baselines on each set that has a training split to tune them on. */
function baselineSection(names: string[], reports: Record<string, EvalReport>, baselines: Record<string, BaselineScores>): string {
  const rows = names.flatMap((n) => {
    const b = baselines[n];
    if (!b || !('reports' in b)) return [];
    const r = reports[n]!;
    return [`| ${n} | ${r.n} | ${signed(r.gain.psnr)} | ${signed(b.reports.usm.gain.psnr)} | **${signed(r.psnr.output - b.reports.usm.psnr.output)}** | ${signed(b.reports.wiener.gain.psnr)} |`];
  });
  if (rows.length === 0) return '';
  const any = Object.values(baselines).find((b): b is Extract<BaselineScores, { reports: unknown }> => 'reports' in b)!;
  return `
Against the classical baselines (PSNR gains over the blurred input, dB). The unsharp mask's σ and amount are tuned on the set's
training split (${any.reports.usm.label}); the Wiener filter is an oracle, not a competitor: it fits its kernel to each sharp image.

| set | images | this network | unsharp mask | margin over the unsharp mask | Wiener (oracle kernel) |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

/** The yardstick's table on the card: every generator, whether the network trained with it, and the held-out summary. */
function yardstickSection(r: YardstickReport): string {
  const rows = r.scores.map((g) => `| ${g.generator} | ${g.trained === null ? '?' : g.trained ? 'yes' : '**no**'} | ${g.n} | ${g.psnrIn.toFixed(2)} | ${signed(g.gain)} | ${g.usm ? signed(g.usm.gain) : '–'} | ${signed(g.worst.gain)} | ${g.worse} / ${g.harmed} |`);
  const line = (what: string, x: YardstickSummary): string =>
    `${what} (${x.generators.join(', ')}): mean gain **${signed(x.gain)} dB**${x.usmGain !== null ? `, the unsharp mask ${signed(x.usmGain)}, margin ${signed(x.gain - x.usmGain)}` : ''}; worst image ${signed(x.worst.gain)} dB; ${x.worse} of ${x.n} images made worse, ${x.harmed} by more than ${-HARM_DB} dB.`;
  return `## Generalisation: the yardstick

Each generator's set (\`npm run data:yardstick\`) is cut from photos no training set uses. Trained with: ${r.trainedOn ? r.trainedOn.join(', ') : 'unknown'}.
The unsharp mask is tuned on each generator's own tuning split.

| generator | trained with it | images | PSNR in | gain | unsharp mask | worst image | worse / harmed (< ${HARM_DB} dB) |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${r.heldOut ? `${line('Generators it was not trained with', r.heldOut)}\n\n` : ''}${line('All generators', r.all)}${r.noBlurGain !== null ? ` No blur: ${signed(r.noBlurGain)} dB.` : ''}

`;
}

/** The sittings that trained the run. */
function ledgerSection(s: TrainingState): string {
  const ledger = s.ledger?.length ? s.ledger : legacyLedger(s);
  if (!ledger.length) return '';
  const sum = summarizeLedger(ledger);
  const rows = ledger.map((g) => `| ${g.started ? g.started.slice(0, 16).replace('T', ' ') : '–'} | ${g.fromStep} → ${g.toStep} | ${(g.seconds / 3600).toFixed(2)} h | ${g.processor} | \`${g.backend}\` ${g.device} | ${g.host}${g.note ? ` (${g.note})` : ''} |`);
  return `## Ledger

${sum.steps} steps in ${sum.segments} sittings: ${sum.cpuHours.toFixed(2)} CPU hours and ${sum.gpuMinutes.toFixed(1)} GPU minutes of training (evaluations excluded).

| began (UTC) | steps | training time | on | backend and device | machine |
|---|---|---|---|---|---|
${rows.join('\n')}

`;
}

/** The run's learning curve: the milestones' held-out and sample gains against the training behind them. */
function curveSection(curve: CurvePoint[]): string {
  if (curve.length === 0) return '';
  const sets = Object.keys(curve[0]!.sets);
  const rows = curve.map((p) => `| ${p.step} | ${p.training.cpuHours.toFixed(2)} | ${p.training.gpuMinutes.toFixed(1)} | ${p.weights} | ${sets.map((n) => (p.sets[n] ? signed(p.sets[n]!.gain) : '–')).join(' | ')} |`);
  return `## Learning curve

PSNR gain over the blurred input at each milestone (\`curve.jsonl\`), of the averaged weights (ema) and of the last step's (raw).

| step | CPU hours | GPU minutes | weights | ${sets.map((n) => `${n} (${curve[0]!.sets[n]!.n})`).join(' | ')} |
|---|---|---|---|${sets.map(() => '---').join('|')}|
${rows.join('\n')}

`;
}

async function main(): Promise<void> {
  const o = new Command('ship-weights')
    .requiredOption('--run <dir>', 'training run folder')
    .requiredOption('--name <name>', 'folder name under weights/')
    .option('--note <text>', 'a paragraph for the card\'s Notes section (how the run went)')
    .option('--weights-dir <dir>', 'where the weights folders are', 'weights')
    .option('--eval-set <name=dir>', 'also score the test split of another dataset (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--yardstick [dir]', `also score the generalisation yardstick (default ${DEFAULT_YARDSTICK}; npm run data:yardstick builds it)`)
    .parse(process.argv)
    .opts<{ run: string; name: string; note?: string; evalSet: string[]; weightsDir: string; yardstick?: string | true }>();
  const yardstickRoot = o.yardstick === undefined ? undefined : o.yardstick === true ? DEFAULT_YARDSTICK : o.yardstick;
  if (yardstickRoot) readYardstick(yardstickRoot);
  const SETS = [
    ...SAMPLE_SETS,
    ...o.evalSet.map((v) => {
      const m = /^([^=]+)=(.+)$/.exec(v);
      if (!m) throw new UsageError(`--eval-set ${v}: expected NAME=DIR`);
      return { name: m[1]!, dir: m[2]! };
    }),
  ];
  // A mistyped run is refused before its lock would make the folder.
  if (!fs.existsSync(o.run) || !fs.statSync(o.run).isDirectory()) throw new UsageError(`--run ${o.run}: no such run folder`);
  takeLock(path.join(o.run, LOCK_FILE), `the run ${o.run}`); // released when this process exits
  const ckptDir = findCheckpoint(o.run);
  const state = readTrainingState(o.run);
  if (!ckptDir || !state) throw new UsageError(`${o.run}: no complete checkpoint (train or continue the run first)`);
  const out = path.join(o.weightsDir, o.name);
  const tmp = `${out}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const { backend, device } = await selectBackend({ backend: 'wasm' });
  // The moving average of the weights is what a run that keeps one evaluates and ships.
  const ckpt = await readCheckpoint(o.run);
  if (ckpt.ema) {
    const averaged = ckpt.ema.map((a, i) => tf.tensor(a, ckpt.model.trainableWeights[i]!.shape as number[]));
    ckpt.model.setWeights(averaged);
    tf.dispose(averaged);
  }
  await saveModel(ckpt.model, tmp);
  ckpt.model.dispose();
  fs.copyFileSync(path.join(o.run, 'log.csv'), path.join(tmp, 'log.csv'));
  fs.writeFileSync(path.join(tmp, 'training.json'), JSON.stringify(state, null, 2) + '\n');
  const curve = readCurve(o.run);
  if (curve.length) fs.writeFileSync(path.join(tmp, 'curve.jsonl'), curve.map((p) => JSON.stringify(p)).join('\n') + '\n');

  const { model, config } = await loadWeights(tmp);
  const reports: Record<string, EvalReport> = {};
  const baselines: Record<string, BaselineScores> = {};
  for (const set of SETS) {
    const ds = await openDataset(set.dir, { split: 'test', strict: true });
    reports[set.name] = await evaluate(model, ds.pairs, { scales: true });
    baselines[set.name] = await baselinesFor({ root: ds.root, layout: ds.layout, split: 'test' }, ds.pairs, path.join('build', 'cache'));
    process.stderr.write(`${set.name}: ${reports[set.name]!.psnr.input.toFixed(2)} → ${reports[set.name]!.psnr.output.toFixed(2)} dB\n`);
  }
  const trainedOn = trainedOnOf(tmp);
  const yardstick = yardstickRoot ? await evaluateYardstick(model, yardstickRoot, { trainedOn, cacheDir: path.join('build', 'cache'), onProgress: (what, done, total) => done === total && process.stderr.write(`yardstick ${what}: ${total} done\n`) }) : undefined;
  if (yardstick) fs.writeFileSync(path.join(tmp, WEIGHTS_YARDSTICK), JSON.stringify(yardstick, null, 2) + '\n');
  const photos = path.join(state.data.root, 'ATTRIBUTION.md');
  if (fs.existsSync(photos) && path.resolve(state.data.root) !== path.resolve('data/sample')) fs.copyFileSync(photos, path.join(tmp, 'TRAINING-PHOTOS.md'));
  model.dispose();
  fs.writeFileSync(path.join(tmp, 'eval.json'), JSON.stringify({ backend, weights: out, reports, baselines }, null, 2) + '\n');

  const log = LossLog.read(path.join(o.run, 'log.csv'));
  const meanLoss = (rows: Record<string, number>[]): string => (rows.reduce((s, r) => s + r['loss']!, 0) / rows.length).toFixed(4);
  const window = Math.min(50, Math.floor(log.length / 2));
  const summary = summarize(config);
  const main = reports[SETS[0].name]!;
  const design = state.variant ?? designOf(config) ?? 'custom';
  const onSample = path.resolve(state.data.root) === path.resolve('data/sample');
  const intro = onSample
    ? `A first shipped checkpoint: the paper's network (MSRM blocks, DFFM skips) narrowed to C = ${config.channels}
and N = ${config.blocks}, trained briefly on a 2-core CPU. It shows the whole pipeline working and beats
its blurred input on held-out photos; it is not a reproduction of the paper's GoPro numbers.`
    : `The \`${design}\` design (${config.block} blocks, ${config.skip} skips) at C = ${config.channels} and N = ${config.blocks}, trained on a
2-core CPU on ${state.data.description} of \`${state.data.root}\`. Not a reproduction of the paper's GoPro numbers.`;
  // A design narrowed from its variant's size is named with its size: "full" alone means C = 32, N = 8.
  const variantSize = design !== 'custom' ? variantConfig(design) : undefined;
  const sized = !variantSize || (variantSize.channels === config.channels && variantSize.blocks === config.blocks) ? `the \`${design}\` network` : `the \`${design}\` design at C = ${config.channels}, N = ${config.blocks},`;
  const card = `# ${o.name}: ${sized} trained on ${onSample ? 'the embedded sample' : `\`${state.data.root}\``}

${intro}

| | |
|---|---|
| variant | \`${design}\`: ${config.block} blocks, ${config.skip} skips, C = ${config.channels}, N = ${config.blocks} |
| parameters | ${summary.params.toLocaleString('en-US')} (${(summary.macs / 1e9).toFixed(2)} G multiply-adds per 256² image) |
| data | \`${state.data.root}\`, ${state.data.description}: ${state.data.pairs} pairs (fingerprint ${state.data.fingerprint}) |
${trainingImages(state)}| steps | ${state.step} of ${state.plannedSteps} planned; batch ${state.pipeline.batch} × ${state.pipeline.crop}² random crops, flips ${state.pipeline.flip ? 'on' : 'off'}, about ${Math.round((state.step * state.pipeline.batch) / state.data.pairs)} epochs |
| optimiser | Adam (β ${state.adam.beta1}, ${state.adam.beta2}; ε ${state.adam.epsilon}), ${describeSchedule(state.schedule)} |
| loss | Σ over 3 scales of L1 + ${state.lambda} · L1 of the FFT (paper eq. 6) |${state.ema ? `\n| weights | the moving average of the weights (decay ${state.ema.decay}, kept since step ${state.ema.since}), not the last step's |` : ''}
| seed | ${state.initSeed} (weights) and ${state.pipeline.seed} (crops, flips, order) |
| wall time | ${state.ledger?.length ? `${(state.seconds / 3600).toFixed(2)} h of training in ${state.ledger.length} sittings (the ledger below)` : `${(state.seconds / 60).toFixed(1)} min of training on backend \`${state.backend}\`${state.device ? ` (${state.device})` : ''}`} |
| mean training loss | ${meanLoss(log.slice(0, window))} over the first ${window} steps → ${meanLoss(log.slice(-window))} over the last ${window} (noisy: a batch's loss depends mostly on which crops it holds; \`log.csv\` has every step) |

## Scores

Scored on ${main.convention}. Evaluated on backend \`${backend}\` (${device}).

| set | images | PSNR in | PSNR out | gain (dB) | SSIM in | SSIM out |
|---|---|---|---|---|---|---|
${SETS.map((s) => row(s.name, reports[s.name]!)).join('\n')}

Per output scale on the ${SETS[0].name} (S3 ¼, S2 ½, S1 full size):

| scale | images | PSNR in | PSNR out | gain (dB) | SSIM in | SSIM out |
|---|---|---|---|---|---|---|
${(['S3', 'S2', 'S1'] as const).map((k) => row(k, { ...main, ...main.scales![k], gain: { psnr: main.scales![k].psnr.output - main.scales![k].psnr.input, ssim: null } })).join('\n')}

${baselineSection(SETS.map((x) => x.name), reports, baselines)}
The output beats the input on ${improved(main)} of ${main.n} test images (per image: \`eval.json\`). ${
    onSample
      ? `The test photos never appear in the training split (the sample is split
by photo), so these are held-out numbers — but the sample is small (${state.data.pairs} training crops of 11 photos).`
      : 'No photo of these test sets appears in the training data (it is built from the training photos only), so these are held-out numbers.'
  }

${yardstick ? yardstickSection(yardstick) : ''}${ledgerSection(state)}${curveSection(curve)}## Reproduce

\`\`\`sh
${fs.existsSync(path.join(o.run, RECIPE_FILE)) ? `npm run cli -- continue ${o.run}   # continues the run from its recipe and checkpoint` : trainCommand(state, o.run)}
npm run weights:ship -- --run ${o.run} --name ${o.name}${o.evalSet.map((v) => ` --eval-set ${v}`).join('')}${yardstickRoot ? ` --yardstick ${yardstickRoot}` : ''}
npm run cli -- eval --data data/sample --weights ${out}
\`\`\`

Training on the same backend with the same seed repeats the same batches; the weights agree to float
rounding (XNNPACK's summation order), not bit for bit across machines.
${o.note ? `\n## Notes\n\n${o.note}\n` : ''}`;
  fs.writeFileSync(path.join(tmp, 'card.md'), card);
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(tmp, out);
  console.log(`wrote ${out}/ (${fs.readdirSync(out).join(', ')})`);
}

runMain('weights:ship', main);

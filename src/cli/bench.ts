import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { BACKENDS, backendUnavailable, parseBackendName, startCpu, type BackendName } from '../backend';
import { runCase, type BenchCase } from '../bench/case';
import { peerNamed, runPeerCase } from '../bench/peer-case';
import { PEERS } from '../infer/weights';
import { markdownTable, peerReportRows, REPORT_HEADER, reportCells, reportRows, torchVersion } from '../bench/report';
import { caseLabel, measureLimitChild, peerCaseLabel, peerCases, runPeerChild, runTfjsCase, runTorchCase, standardCases, tfjsEngines, threadsLabel, withThreads, type RunnerSettings, type SuiteCase, type SuitePeerRow, type SuiteRow } from '../bench/suite';
import { UsageError } from '../errors';
import { measureLimit, type MachineLimit } from '../bench/limit';
import { PYTHON, torchUnavailable } from '../interop/python-torch';
import { loadNative } from '../kernels/native/addon';
import { isVariantName, VARIANT_NAMES, type VariantName } from '../model/config';
import { table } from './format';
import { imageSize, nonNegativeInt, nonNegativeNumber, positiveInt, startBackendOption } from './options';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'PERFORMANCE.md');
const DOC_START = '<!-- bench:start -->';
const DOC_END = '<!-- bench:end -->';

interface BenchOptions {
  variant?: string;
  peer?: string;
  batch: number;
  crop?: number;
  size?: { height: number; width: number };
  mode: string;
  steps: number;
  warmup: number;
  warmupSeconds: number;
  backend?: string;
  json?: boolean;
  backends?: string;
  variants?: string;
  torch: boolean;
  threads: number;
  updateDoc?: boolean;
  quick?: boolean;
  limit?: boolean;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('time training steps and inference: one case (--variant …), or the whole suite against the PyTorch twin')
    .option('--variant <name>', `one case: ${VARIANT_NAMES.join(', ')} (without it, the suite runs)`)
    .option('--peer <name>', `one case: a peer network's inference on one image (${PEERS.join(', ')}; installed by npm run setup -- --peers), tiled as deblur tiles it (default size 256²)`)
    .option('--batch <n>', 'one case: images per batch', positiveInt, 4)
    .option('--crop <px>', 'one case: square input side, a multiple of 4 (default 128)', positiveInt)
    .option('--size <HxW>', 'one case: input height x width instead of a square crop', imageSize)
    .option('--mode <what>', 'one case: train, infer or both', 'both')
    .option('--steps <k>', 'timed runs per measurement (the median is reported)', positiveInt, 3)
    .option('--warmup <k>', 'untimed runs before timing', nonNegativeInt, 1)
    .option('--warmup-seconds <s>', 'then more untimed runs until this much warm-up time has passed (at most 30 runs), so each engine is timed in its steady state', nonNegativeNumber, 5)
    .option('--backend <name>', 'one case: auto, tensorflow, webgpu, wasm or cpu (default: $DEBLUR_BACKEND or auto)')
    .option('--json', 'print JSON (one case: one object; suite: the rows)')
    .option('--backends <list>', 'suite: tfjs backends, comma-separated (default: every one that starts here, cpu excepted)')
    .option('--variants <list>', 'suite: variants, comma-separated', 'full,lite')
    .option('--no-torch', 'suite: skip the PyTorch peer')
    .option('--threads <n>', 'suite: threads of both sides (PyTorch intra-op threads; OMP_NUM_THREADS for the lab)', positiveInt, 2)
    .option('--update-doc', `suite: write the table into ${path.relative(ROOT, DOC)}`)
    .option('--quick', 'suite: tiny cases that check the machinery in seconds (numbers mean little)')
    .option('--limit', 'only measure what this machine does at best (a large convolution on the backend), as JSON')
    .action(async (o: BenchOptions) => {
      if (o.limit) await limitOnly(o);
      else if (o.peer !== undefined) await onePeerCase(o);
      else if (o.variant !== undefined) await oneCase(o);
      else await suite(o);
    });
}

async function limitOnly(o: BenchOptions): Promise<void> {
  const report = await startBackendOption(o.backend);
  const limit = await measureLimit();
  console.log(JSON.stringify({ ...limit, what: `${limit.what} (${report.device})` }));
}

async function oneCase(o: BenchOptions): Promise<void> {
  if (!isVariantName(o.variant!)) throw new UsageError(`unknown variant '${o.variant}' (choose ${VARIANT_NAMES.join(', ')})`);
  if (o.crop !== undefined && o.size !== undefined) throw new UsageError('give --crop or --size, not both');
  if (o.crop !== undefined && o.crop % 4 !== 0) throw new UsageError(`--crop must be a multiple of 4 (got ${o.crop})`);
  if (!['train', 'infer', 'both'].includes(o.mode)) throw new UsageError(`--mode must be train, infer or both (got ${o.mode})`);
  const size = o.size ?? { height: o.crop ?? 128, width: o.crop ?? 128 };
  const c: BenchCase = {
    variant: o.variant as VariantName,
    batch: o.batch,
    ...size,
    train: o.mode !== 'infer',
    infer: o.mode !== 'train',
    steps: o.steps,
    warmup: o.warmup,
    warmupSeconds: o.warmupSeconds,
  };
  const report = await startBackendOption(o.backend);
  const r = await runCase(c, (what, i, ms) => process.stderr.write(`bench: ${what} run ${i + 1}/${c.steps}: ${(ms / 1000).toFixed(2)} s\n`));
  if (o.json) {
    console.log(JSON.stringify({ ...r, device: report.device }));
    return;
  }
  const s = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(2)} s`);
  console.log(`${caseLabel(c)} on ${r.backend} (${report.device}), ${r.params.toLocaleString('en-US')} params`);
  console.log(`  training step: ${r.train ? `${s(r.train.median)} median [${s(r.train.min)}–${s(r.train.max)}], ${r.trainImagesPerSecond!.toFixed(2)} img/s, ${r.trainGmacsPerSecond!.toFixed(1)} GMAC/s` : `not run (${r.trainSkipped ?? 'not asked'})`}${r.microBatches ? `, accumulating ${r.microBatches} micro-batches (the batch does not fit the wasm heap at once)` : ''}`);
  console.log(`  inference:     ${r.infer ? `${s(r.infer.median)} median [${s(r.infer.min)}–${s(r.infer.max)}], ${r.inferImagesPerSecond!.toFixed(2)} img/s, ${r.inferGmacsPerSecond!.toFixed(1)} GMAC/s` : 'not run'}`);
  console.log(`  peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB${r.peakWasmHeapBytes !== null ? `, wasm heap ${(r.peakWasmHeapBytes / 2 ** 20).toFixed(0)} MiB` : ''}`);
}

async function onePeerCase(o: BenchOptions): Promise<void> {
  if (o.variant !== undefined) throw new UsageError('give --variant or --peer, not both');
  const peer = peerNamed(o.peer!);
  if (o.crop !== undefined && o.size !== undefined) throw new UsageError('give --crop or --size, not both');
  if (o.mode !== 'infer' && o.mode !== 'both') throw new UsageError(`a peer is timed at inference only (got --mode ${o.mode})`);
  const size = o.size ?? { height: o.crop ?? 256, width: o.crop ?? 256 };
  const report = await startBackendOption(o.backend);
  const r = await runPeerCase(
    { peer, ...size, steps: o.steps, warmup: o.warmup, warmupSeconds: o.warmupSeconds },
    (i, ms) => process.stderr.write(`bench: infer run ${i + 1}/${o.steps}: ${(ms / 1000).toFixed(2)} s\n`),
    (done, total) => {
      if (total > 1) process.stderr.write(`bench: tile ${done}/${total}\n`);
    },
  );
  if (o.json) {
    console.log(JSON.stringify({ ...r, device: report.device }));
    return;
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`${peerCaseLabel(r)} on ${r.backend} (${report.device}), ${r.tiles === 1 ? 'whole' : `in ${r.tiles} tiles`}`);
  console.log(`  inference: ${s(r.infer.median)} median [${s(r.infer.min)}–${s(r.infer.max)}]`);
  console.log(`  peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB${r.peakWasmHeapBytes !== null ? `, wasm heap ${(r.peakWasmHeapBytes / 2 ** 20).toFixed(0)} MiB` : ''}`);
}

/** The backends the suite runs: the ones asked for, or every one that starts here on its own (cpu excepted: far too slow). */
async function suiteBackends(list: string | undefined): Promise<BackendName[]> {
  if (list !== undefined) {
    return list.split(',').map((b) => {
      const name = parseBackendName(b, '--backends');
      if (name === 'auto') throw new UsageError('--backends takes backend names, not auto');
      return name;
    });
  }
  const found: BackendName[] = [];
  for (const name of BACKENDS.filter((b) => b !== 'cpu')) {
    const why = await backendUnavailable(name);
    if (why === undefined) found.push(name);
    else process.stderr.write(`bench: skipping ${name}: ${why}\n`);
  }
  return found;
}

async function suite(o: BenchOptions): Promise<void> {
  const variants = (o.variants ?? 'full,lite').split(',').map((v) => v.trim());
  for (const v of variants) if (!isVariantName(v)) throw new UsageError(`--variants: unknown variant '${v}' (choose ${VARIANT_NAMES.join(', ')})`);
  const engines = tfjsEngines(await suiteBackends(o.backends), typeof loadNative() !== 'string', o.threads);
  await startCpu(); // the parent only builds configs; the cases run in children
  const noTorch = o.torch ? torchUnavailable() : 'skipped (--no-torch)';
  if (noTorch) process.stderr.write(`bench: PyTorch peer not run: ${noTorch}\n`);
  const log = (line: string) => process.stderr.write(line + '\n');
  const settings: RunnerSettings = { root: ROOT, python: PYTHON, steps: o.steps, warmup: o.warmup, warmupSeconds: o.warmupSeconds, threads: o.threads, log };
  const cases = standardCases(variants as VariantName[], o.quick === true, o.threads);
  if (o.quick && o.updateDoc) throw new UsageError('--quick results do not belong in the performance doc: drop --update-doc');
  const rows: SuiteRow[] = [];
  const t0 = performance.now();
  // The yardstick: the best the fastest engine does on one large convolution, measured in its own process.
  log('bench: measuring the machine\'s limit (one large convolution) …');
  const limit = await measureLimitChild(engines[0]!, settings);
  // Cases on their own thread count (the long run's one thread) are held to the limit on as many threads.
  const ownThreads = [...new Set(cases.flatMap((c) => (c.threads !== undefined ? [c.threads] : [])))];
  const limits = new Map<number, MachineLimit | { error: string }>([[o.threads, limit]]);
  for (const t of ownThreads) {
    log(`bench: the limit on ${threadsLabel(t)} …`);
    limits.set(t, await measureLimitChild(withThreads(engines[0]!, t), settings));
  }
  for (const [i, c] of cases.entries()) {
    const row: SuiteRow = { case: c, tfjs: {}, torch: null };
    // A case on its own thread count runs on the first engine only (the one the long runs use).
    for (const e of c.threads !== undefined ? engines.slice(0, 1) : engines) {
      log(`bench [${i + 1}/${cases.length}] ${caseLabel(c)} on tfjs ${e.label} …`);
      row.tfjs[e.label] = await runTfjsCase(c, e, settings);
    }
    if (!noTorch) {
      log(`bench [${i + 1}/${cases.length}] ${caseLabel(c)} on PyTorch (NCHW, then channels-last) …`);
      row.torch = await runTorchCase(c, settings, 'nchw');
      row.torchChannelsLast = await runTorchCase(c, settings, 'channels_last');
      const params = Object.values(row.tfjs).flatMap((r) => ('params' in r ? [r.params] : []))[0];
      for (const t of [row.torch, row.torchChannelsLast]) {
        if (t && 'params' in t && params !== undefined && t.params !== params) {
          throw new Error(`the PyTorch twin of ${c.variant} has ${t.params} parameters, the tfjs model ${params}: they are not the same network`);
        }
      }
    }
    rows.push(row);
  }
  // Peers (when installed) on the first engine only: wasm's own kernels would take many minutes a frame.
  const peers: SuitePeerRow[] = [];
  const peerList = peerCases(o.quick === true);
  const e = engines[0]!;
  for (const [i, c] of peerList.entries()) {
    log(`bench [peer ${i + 1}/${peerList.length}] ${peerCaseLabel(c)} on tfjs ${e.label} …`);
    peers.push({ case: c, tfjs: { [e.label]: await runPeerChild(c, e, settings) } });
  }
  const minutes = (performance.now() - t0) / 60000;
  const others = ownThreads.map((t) => {
    const l = limits.get(t)!;
    return `on ${threadsLabel(t)} (for the rows that say so) ${'error' in l ? `not measured (${l.error})` : `${l.gmacsPerSecond.toFixed(1)} GMAC/s`}`;
  });
  const machine = `${describeMachine(rows)}${'error' in limit ? `\nLimit: not measured (${limit.error}).` : `\nLimit: ${limit.gmacsPerSecond.toFixed(1)} GMAC/s, ${limit.what}${others.length ? `; ${others.join('; ')}` : ''}; the \`of limit\` columns are each case's GMAC/s as a fraction of the limit on its threads.`}`;
  const limitOf = (c: SuiteCase): number | undefined => {
    const l = limits.get(c.threads ?? o.threads);
    return l === undefined || 'error' in l ? undefined : l.gmacsPerSecond;
  };
  const tableRows = [...reportRows(rows, limitOf), ...peerReportRows(peers)];
  const md = `${machine}\n\nCommand: \`${commandLine()}\` (${o.steps} timed run${o.steps > 1 ? 's' : ''} after at least ${o.warmup} warm-up run${o.warmup === 1 ? '' : 's'} and ${o.warmupSeconds} s of warm-up; suite took ${minutes.toFixed(1)} min).\n\n${markdownTable(tableRows)}\n`;
  const outDir = path.join(ROOT, 'build', 'bench');
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(outDir, `${stamp}.json`), JSON.stringify({ machine, limit, rows, peers }, null, 1));
  fs.writeFileSync(path.join(outDir, `${stamp}.md`), md);
  if (o.updateDoc) updateDoc(md);
  if (o.json) console.log(JSON.stringify({ machine, limit, rows, peers }));
  else {
    console.log(machine);
    console.log(table(REPORT_HEADER, tableRows.map(reportCells)));
    console.log(`\nwritten: ${path.relative(process.cwd(), path.join(outDir, `${stamp}.md`))}${o.updateDoc ? ` and ${path.relative(process.cwd(), DOC)}` : ''}`);
  }
}

/** How this run was started, as a user would type it. */
function commandLine(): string {
  const args = process.argv.slice(process.argv.indexOf('bench') + 1);
  return `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

function describeMachine(rows: SuiteRow[]): string {
  const cpus = os.cpus();
  const peer = torchVersion(rows) ?? 'PyTorch not run';
  return [
    `Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}.`,
    `Versions: Node ${process.versions.node}, tfjs ${tf.version.tfjs}, ${peer}. Date: ${new Date().toISOString().slice(0, 10)}.`,
  ].join('\n');
}

function updateDoc(md: string): void {
  const doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '';
  const a = doc.indexOf(DOC_START);
  const b = doc.indexOf(DOC_END);
  if (a < 0 || b < a) throw new UsageError(`${path.relative(ROOT, DOC)} has no ${DOC_START} … ${DOC_END} section to replace`);
  fs.writeFileSync(DOC, `${doc.slice(0, a + DOC_START.length)}\n${md}${doc.slice(b)}`);
}

/**
 * Synthesises a dataset in several processes at once (`npm run data:train`, `npm run data:yardstick`).
 * Pair k of a photo depends only on (seed, photo, k), so the photos can be shared out among
 * processes and the result is the same for any number of them: each child writes its own folder,
 * merged here into one, with one manifest in source order.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SYNTH_MANIFEST, writeSynthDataset, type SynthOptions, type SynthRecord, type SynthSource } from '../src/data/synth/write-dataset';

export type PoolOptions = Omit<SynthOptions, 'onPair' | 'out'>;

interface WorkerTask {
  sources: SynthSource[];
  options: SynthOptions;
}

/** Photos dealt out to `jobs` processes, biggest first to the least loaded. */
function shareOut(sources: readonly SynthSource[], jobs: number): SynthSource[][] {
  const shares: SynthSource[][] = Array.from({ length: jobs }, () => []);
  const load = new Array<number>(jobs).fill(0);
  for (const s of [...sources].sort((a, b) => b.count - a.count)) {
    const i = load.indexOf(Math.min(...load));
    shares[i]!.push(s);
    load[i]! += s.count;
  }
  return shares.filter((s) => s.length > 0);
}

/** Runs one share in a child process (this module with --synth-worker), counting pairs as they land. */
function runWorker(task: WorkerTask, onPair: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--synth-worker'], { execArgv: ['-r', 'ts-node/register'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: unknown) => {
      if (m === 'pair') onPair();
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`a synthesis process exited with status ${code}`))));
    child.send(task);
  });
}

/**
 * Writes the sources' pairs into `out` (GoPro layout) with up to `jobs` processes and returns every
 * pair's record, in source order; `out/synth.json` is left for the caller to write.
 */
export async function synthesizeInParallel(sources: readonly SynthSource[], options: PoolOptions, out: string, jobs: number, onPair: () => void): Promise<SynthRecord[]> {
  const shares = shareOut(sources, Math.max(1, Math.min(jobs, sources.length)));
  const parts = await Promise.all(
    shares.map(async (share, i) => {
      const dir = path.join(out, `.part${i}`);
      await runWorker({ sources: share, options: { ...options, out: dir } }, onPair);
      return dir;
    }),
  );
  const records: SynthRecord[] = [];
  for (const src of sources) {
    const dir = parts.find((d) => fs.existsSync(path.join(d, src.split, src.sequence)))!;
    fs.mkdirSync(path.join(out, src.split), { recursive: true });
    fs.renameSync(path.join(dir, src.split, src.sequence), path.join(out, src.split, src.sequence));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, SYNTH_MANIFEST), 'utf8')) as { pairs: SynthRecord[] };
    records.push(...manifest.pairs.filter((r) => r.split === src.split && r.sequence === src.sequence));
  }
  for (const d of parts) fs.rmSync(d, { recursive: true });
  return records;
}

async function worker(): Promise<void> {
  const task = await new Promise<WorkerTask>((resolve) => process.once('message', (m) => resolve(m as WorkerTask)));
  await writeSynthDataset(task.sources, { ...task.options, onPair: () => process.send!('pair') });
  process.disconnect();
}

if (process.argv.includes('--synth-worker')) {
  worker().catch((e: unknown) => {
    console.error(`synthesis: ${(e as Error).message}`);
    process.exit(1);
  });
}

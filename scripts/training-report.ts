/**
 * The learning curves of training runs as markdown tables, from their `curve.jsonl` and
 * `baselines.json` (written by `npm run cli -- continue`):
 *
 *   node -r ts-node/register scripts/training-report.ts RUN [RUN …] [--set held-out] [--update-doc NAME]
 *
 * One row per milestone and weights (ema: the moving average; raw: the last step's), with the
 * training behind it (steps, CPU hours, GPU minutes) and the PSNR gain on each curve set (the worst
 * image's in brackets, for points that kept it); then the
 * classical baselines on the same sets. `--update-doc NAME` replaces the block between
 * `<!-- curve:NAME:start -->` and `<!-- curve:NAME:end -->` in docs/TRAINING.md with the tables.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { writeBlock } from '../src/doc-blocks';
import { UsageError } from '../src/errors';
import { BASELINES_FILE, readCurve, type CurveBaselines, type SetScore } from '../src/train/curve';
import { runMain } from '../src/cli/run-main';

const DOC = path.join(__dirname, '..', 'docs', 'TRAINING.md');

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

/** A set's mean gain, and its worst image's in brackets where the point kept it. */
const cell = (s: SetScore | undefined): string => (s ? `${signed(s.gain)}${s.worst !== undefined ? ` (${signed(s.worst)})` : ''}` : '–');

export function curveTables(runs: readonly string[]): string {
  const parts: string[] = [];
  const rows: string[] = [];
  let baselines: CurveBaselines | undefined;
  const curves = runs.map((run) => {
    const curve = readCurve(run);
    if (curve.length === 0) throw new UsageError(`${run}: no curve.jsonl (run \`npm run cli -- continue ${run}\` first)`);
    return curve;
  });
  // Every set any run scored, in the order first met (runs may score different sets).
  const sets: string[] = [...new Set(curves.flatMap((c) => c.flatMap((p) => Object.keys(p.sets))))];
  for (const [r, run] of runs.entries()) {
    const curve = curves[r]!;
    const file = path.join(run, BASELINES_FILE);
    if (!baselines && fs.existsSync(file)) baselines = JSON.parse(fs.readFileSync(file, 'utf8')) as CurveBaselines;
    for (const p of curve) {
      rows.push(`| ${path.basename(run)} | ${p.step} | ${p.training.cpuHours.toFixed(2)} | ${p.training.gpuMinutes.toFixed(1)} | ${p.weights} | ${sets.map((n) => cell(p.sets[n])).join(' | ')} |`);
    }
  }
  const counts = sets.map((n) => {
    const any = curves.flatMap((c) => c.map((p) => p.sets[n])).find((s) => s);
    return `${n} (${any?.n ?? '?'})`;
  });
  parts.push(`| run | step | CPU hours | GPU minutes | weights | ${counts.join(' | ')} |`, `|---|---|---|---|---|${sets.map(() => '---').join('|')}|`, ...rows);
  if (baselines) {
    parts.push('', `Baselines on the same pairs, tuned on ${baselines.tuned.tunedOn.description} of \`${baselines.tuned.tunedOn.root}\`:`, '');
    parts.push(`| baseline | ${sets.join(' | ')} |`, `|---|${sets.map(() => '---').join('|')}|`);
    for (const name of ['usm', 'wiener'] as const) {
      const label = Object.values(baselines.sets)[0]?.[name]?.label ?? name;
      parts.push(`| ${label} | ${sets.map((n) => (baselines!.sets[n]?.[name] ? signed(baselines!.sets[n]![name]!.gain) : '–')).join(' | ')} |`);
    }
  }
  return parts.join('\n');
}

function main(): void {
  const cmd = new Command('training-report').argument('<runs...>').option('--update-doc <name>', 'replace that curve block in docs/TRAINING.md').parse(process.argv);
  const o = cmd.opts<{ updateDoc?: string }>();
  const tables = curveTables(cmd.args);
  console.log(tables);
  if (o.updateDoc) {
    writeBlock(DOC, 'curve', o.updateDoc, tables, cmd.args);
    console.log(`updated the ${o.updateDoc} block of docs/TRAINING.md`);
  }
}

if (require.main === module) runMain('training-report', main);

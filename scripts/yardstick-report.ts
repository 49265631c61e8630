/**
 * Networks side by side on the generalisation yardstick, as markdown, from the `yardstick.json`
 * that `npm run weights:ship -- --yardstick` writes beside each network (or an `eval --yardstick
 * --json` report saved as a file):
 *
 *   node -r ts-node/register scripts/yardstick-report.ts weights/A weights/B … [--update-doc NAME [--doc FILE]]
 *
 * One row per generator with each network's mean gain (in italics where the network was trained
 * with that generator), the tuned unsharp mask's, and then each network's held-out summary: mean
 * gain over the generators it was not trained with, its margin over the unsharp mask there, its
 * worst image, how many images it made worse and the no-blur gain. `--update-doc NAME` replaces
 * the block between `<!-- yardstick:NAME:start -->` and `<!-- yardstick:NAME:end -->` of the doc.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { writeBlock } from '../src/doc-blocks';
import { UsageError } from '../src/errors';
import { HARM_DB, type YardstickReport, WEIGHTS_YARDSTICK } from '../src/eval/yardstick';
import { runMain } from '../src/cli/run-main';

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

export function readReport(where: string): YardstickReport {
  const file = fs.existsSync(where) && fs.statSync(where).isDirectory() ? path.join(where, WEIGHTS_YARDSTICK) : where;
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no yardstick report (ship the weights with --yardstick, or save eval --yardstick --json)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as YardstickReport;
}

export function yardstickTables(names: readonly string[], reports: readonly YardstickReport[]): string {
  const generators = reports[0]!.scores.map((s) => s.generator);
  for (const [i, r] of reports.entries()) {
    if (r.scores.map((s) => s.generator).join() !== generators.join()) throw new UsageError(`${names[i]}: scored on other generators (${r.scores.map((s) => s.generator).join(', ')})`);
  }
  const cell = (r: YardstickReport, g: string): string => {
    const s = r.scores.find((x) => x.generator === g)!;
    return s.trained ? `*${signed(s.gain)}*` : signed(s.gain);
  };
  const usm = (g: string): string => {
    const u = reports[0]!.scores.find((x) => x.generator === g)!.usm;
    return u ? signed(u.gain) : '–';
  };
  const lines = [
    `| generator | ${names.join(' | ')} | unsharp mask |`,
    `|---|${names.map(() => '---').join('|')}|---|`,
    ...generators.map((g) => `| ${g} | ${reports.map((r) => cell(r, g)).join(' | ')} | ${usm(g)} |`),
    '',
    `Mean PSNR gain (dB) per generator; *italics*: the network was trained with that generator. Per network, over the generators it was not trained with:`,
    '',
    `| network | held-out generators | mean gain | unsharp mask | margin | worst image | worse / harmed (< ${HARM_DB} dB) | no blur |`,
    '|---|---|---|---|---|---|---|---|',
    ...reports.map((r, i) => {
      const h = r.heldOut;
      if (!h) return `| ${names[i]} | ${r.trainedOn ? 'none' : 'unknown'} | – | – | – | – | – | ${r.noBlurGain !== null ? signed(r.noBlurGain) : '–'} |`;
      return `| ${names[i]} | ${h.generators.join(', ')} | **${signed(h.gain)}** | ${h.usmGain !== null ? signed(h.usmGain) : '–'} | ${h.usmGain !== null ? signed(h.gain - h.usmGain) : '–'} | ${signed(h.worst.gain)} (${h.worst.generator}) | ${h.worse} / ${h.harmed} of ${h.n} | ${r.noBlurGain !== null ? signed(r.noBlurGain) : '–'} |`;
    }),
  ];
  return lines.join('\n');
}

function main(): void {
  const cmd = new Command('yardstick-report')
    .argument('<reports...>', 'weights folders (with yardstick.json) or report files')
    .option('--update-doc <name>', 'replace that yardstick block in the doc')
    .option('--doc <file>', 'the doc to update', path.join('docs', 'TRAINING.md'))
    .parse(process.argv);
  const o = cmd.opts<{ updateDoc?: string; doc: string }>();
  const reports = cmd.args.map(readReport);
  const names = cmd.args.map((a) => path.basename(a.replace(/\/yardstick\.json$/, '').replace(/\.json$/, '')));
  const tables = yardstickTables(names, reports);
  console.log(tables);
  if (o.updateDoc) {
    writeBlock(o.doc, 'yardstick', o.updateDoc, tables, cmd.args);
    console.log(`updated the ${o.updateDoc} block of ${o.doc}`);
  }
}

if (require.main === module) runMain('yardstick-report', main);

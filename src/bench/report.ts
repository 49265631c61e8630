import { caseLabel, peerCaseLabel, type SuiteCase, type SuitePeerRow, type SuiteRow, type TorchResult } from './suite';
import type { Timing } from './timing';

export interface ReportRow {
  case: string;
  part: 'train step' | 'inference';
  backend: string;
  tfjs: string;
  /** The faster of the twin's two layouts, named. */
  torch: string;
  /** Both layouts' medians. */
  torchLayouts: string;
  /** tfjs time / PyTorch time: below 1 means tfjs is faster. */
  ratio: string;
  imagesPerSecond: string;
  gmacs: string;
  torchGmacs: string;
  /** GMAC/s as a fraction of the machine's limit (bench --limit), tfjs and PyTorch. */
  ofLimit: string;
  torchOfLimit: string;
  memory: string;
  torchMemory: string;
}

const seconds = (t: Timing): string => `${(t.median / 1000).toFixed(2)} s [${(t.min / 1000).toFixed(2)}–${(t.max / 1000).toFixed(2)}]`;
const mib = (b: number | null | undefined): string => (b == null ? '–' : `${Math.round(b / 2 ** 20)} MiB`);
const isError = (x: unknown): x is { error: string } => typeof x === 'object' && x !== null && 'error' in x;

/** The suite as rows: one per case, part (training step, inference) and tfjs backend. */
export function reportRows(rows: SuiteRow[], limitOf: (c: SuiteCase) => number | undefined = () => undefined): ReportRow[] {
  const out: ReportRow[] = [];
  for (const row of rows) {
    const limit = limitOf(row.case);
    const of = (gmacs: number | null): string => (gmacs === null || limit === undefined ? '–' : `${Math.round((100 * gmacs) / limit)}%`);
    const layouts = [row.torch, row.torchChannelsLast ?? null].filter((t): t is TorchResult => t !== null && !isError(t));
    const torchNote = row.torch === null ? 'not run' : isError(row.torch) ? `error: ${row.torch.error}` : '';
    for (const part of ['train step', 'inference'] as const) {
      const isTrain = part === 'train step';
      if (isTrain ? !row.case.train : !row.case.infer) continue;
      const timeOf = (t: TorchResult): Timing | null => (isTrain ? t.train : t.infer);
      // The peer at its best: whichever layout was faster for this part.
      const torch = layouts.filter((t) => timeOf(t)).sort((a, b) => timeOf(a)!.median - timeOf(b)!.median)[0] ?? null;
      const torchTime: Timing | null = torch ? timeOf(torch) : null;
      const layoutName = (t: TorchResult) => (t.layout === 'channels_last' ? 'channels-last' : 'NCHW');
      const torchLayouts = layouts.filter((t) => timeOf(t)).map((t) => `${layoutName(t)} ${(timeOf(t)!.median / 1000).toFixed(2)} s`).join(' · ') || '–';
      const torchCell = torchTime ? `${seconds(torchTime)}${layouts.length > 1 ? ` (${layoutName(torch!)})` : ''}` : torchNote;
      const macs = (r: { forwardMacs: number }) => (isTrain ? 3 : 1) * r.forwardMacs;
      for (const [backend, r] of Object.entries(row.tfjs)) {
        const base = { case: caseLabel(row.case), part, backend };
        if (isError(r)) {
          out.push({ ...base, tfjs: `error: ${r.error}`, torch: torchCell, torchLayouts, ratio: '–', imagesPerSecond: '–', gmacs: '–', torchGmacs: '–', ofLimit: '–', torchOfLimit: '–', memory: '–', torchMemory: mib(torch?.peakRssBytes) });
          continue;
        }
        const t = isTrain ? r.train : r.infer;
        const skipped = isTrain ? r.trainSkipped : undefined;
        out.push({
          ...base,
          tfjs: t ? `${seconds(t)}${isTrain && r.microBatches ? ` (${r.microBatches} micro-batches)` : ''}` : `not run: ${skipped ?? 'unknown'}`,
          torch: torchCell,
          torchLayouts,
          ratio: t && torchTime ? (t.median / torchTime.median).toFixed(2) : '–',
          imagesPerSecond: t ? ((row.case.batch * 1000) / t.median).toFixed(2) : '–',
          gmacs: t ? (macs(r) / 1e6 / t.median).toFixed(1) : '–',
          torchGmacs: torchTime ? (macs(r) / 1e6 / torchTime.median).toFixed(1) : '–',
          ofLimit: of(t ? macs(r) / 1e6 / t.median : null),
          torchOfLimit: of(torchTime ? macs(r) / 1e6 / torchTime.median : null),
          memory: `${mib(r.peakRssBytes)}${r.peakWasmHeapBytes !== null ? ` (heap ${mib(r.peakWasmHeapBytes)})` : ''}`,
          torchMemory: mib(torch?.peakRssBytes),
        });
      }
    }
  }
  return out;
}

/** The peers' rows: inference per engine, with nothing to compare against (no twin; their multiply-adds are not counted). */
export function peerReportRows(rows: SuitePeerRow[]): ReportRow[] {
  return rows.flatMap((row) =>
    Object.entries(row.tfjs).map(([backend, r]): ReportRow => {
      const none = { torch: 'no twin', torchLayouts: '–', ratio: '–', gmacs: '–', torchGmacs: '–', ofLimit: '–', torchOfLimit: '–', torchMemory: '–' };
      const base = { case: peerCaseLabel(row.case), part: 'inference' as const, backend, ...none };
      if (isError(r)) return { ...base, tfjs: `error: ${r.error}`, imagesPerSecond: '–', memory: '–' };
      return {
        ...base,
        tfjs: `${seconds(r.infer)}${r.tiles > 1 ? ` (${r.tiles} tiles)` : ''}`,
        imagesPerSecond: (1000 / r.infer.median).toFixed(2),
        memory: `${mib(r.peakRssBytes)}${r.peakWasmHeapBytes !== null ? ` (heap ${mib(r.peakWasmHeapBytes)})` : ''}`,
      };
    }),
  );
}

const HEADER = ['case', 'part', 'backend', 'tfjs median [min–max]', 'PyTorch median [min–max], the faster layout', 'PyTorch NCHW · channels-last', 'tfjs / PyTorch', 'tfjs img/s', 'tfjs GMAC/s', 'PyTorch GMAC/s', 'tfjs of limit', 'PyTorch of limit', 'tfjs peak RSS', 'PyTorch peak RSS'];

function cells(r: ReportRow): string[] {
  return [r.case, r.part, r.backend, r.tfjs, r.torch, r.torchLayouts, r.ratio, r.imagesPerSecond, r.gmacs, r.torchGmacs, r.ofLimit, r.torchOfLimit, r.memory, r.torchMemory];
}

/** A GitHub-flavoured markdown table of the rows. */
export function markdownTable(rows: ReportRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`)].join('\n');
}

export { HEADER as REPORT_HEADER, cells as reportCells };

/** Which peer ran, for the report's heading. */
export function torchVersion(rows: SuiteRow[]): string | undefined {
  const t = rows.map((r) => r.torch).find((x): x is TorchResult => x !== null && !isError(x));
  return t ? `PyTorch ${t.torch}, ${t.threads} threads${t.blas ? `, ${t.blas} (the machine's OpenBLAS overrides unset)` : ''}` : undefined;
}


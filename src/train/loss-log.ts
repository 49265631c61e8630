import * as fs from 'node:fs';
import { withPath } from '../errors';
import type { StepReport } from './trainer';

const HEADER = 'step,epoch,lr,loss,content,fft,images_per_s,step_s';

/**
 * Writes a whole file through a temporary one and a rename: a process killed meanwhile, or a reader
 * looking meanwhile (a notebook following a live run), sees the old file or the new one, never an
 * empty or half-written log that the next sitting would refuse.
 */
function replaceFile(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw withPath(e, file);
  }
}

/**
 * The per-step loss log (CSV) kept next to a checkpoint. Opening it for a run that resumes at step
 * N drops the rows after N — steps trained after the last checkpoint and then lost — so the log
 * never holds a step twice.
 */
export class LossLog {
  private constructor(readonly file: string) {}

  static open(file: string, resumeAt: number): LossLog {
    if (fs.existsSync(file)) {
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
      if (lines[0] !== HEADER) throw new Error(`${file} is not a deblur-lab loss log (header ${JSON.stringify(lines[0])})`);
      const kept = lines.filter((l, i) => i === 0 || Number(l.split(',')[0]) <= resumeAt);
      if (kept.length !== lines.length) replaceFile(file, kept.join('\n') + '\n');
    } else {
      replaceFile(file, HEADER + '\n');
    }
    return new LossLog(file);
  }

  append(r: StepReport): void {
    const row = [r.step, r.epoch, r.lr.toExponential(6), r.loss.total, r.loss.content, r.loss.fft, r.imagesPerSecond.toFixed(3), r.stepSeconds.toFixed(3)];
    try {
      fs.appendFileSync(this.file, row.join(',') + '\n');
    } catch (e) {
      throw withPath(e, this.file);
    }
  }

  /** The logged rows, as numbers keyed by column name (for notebooks and tests); none for a log not yet written. */
  static read(file: string): Record<string, number>[] {
    const [header, ...rows] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
    if (header === undefined) return [];
    const cols = header.split(',');
    return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [cols[i]!, Number(v)])));
  }
}

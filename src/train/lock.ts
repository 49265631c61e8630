import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeWriteFault, isWriteFault, UsageError, WriteError } from '../errors';

/**
 * One writer per folder: a training run (train, continue, weights:ship, the ablation) or a data set
 * being built takes a lock file, created atomically (O_EXCL), holding who took it. A second
 * process is refused with a line naming the holder; a lock whose process is gone (on this
 * machine) is taken over with a note. Released by `release()` or when the process exits.
 */
export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export const LOCK_FILE = '.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined; // being written, or garbage: treated as held by nobody we can name
  }
}

/**
 * Takes the lock `file` (e.g. RUN/.lock, or OUT.lock beside a data folder not yet written) for
 * `what` (words for the refusal). Returns the function that releases it.
 */
export function takeLock(file: string, what: string, note: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): () => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command: process.argv.slice(1).map((a) => path.basename(a) === a ? a : path.relative(process.cwd(), a)).join(' ') };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, `${JSON.stringify(me)}\n`);
      } catch (e) {
        // An empty lock would refuse every later process: take it back.
        fs.closeSync(fd);
        fs.rmSync(file, { force: true });
        throw e;
      }
      fs.closeSync(fd);
      let held = true;
      const release = (): void => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (e) {
      if (isWriteFault(e)) throw new WriteError(`cannot write the lock of ${what} (${file}): ${describeWriteFault(e, path.dirname(file))}; nothing was changed: make room and run the same command again`);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(file);
    if (holder && holder.host === me.host && !alive(holder.pid)) {
      note(`note: ${what} was locked by process ${holder.pid} (${holder.command}, since ${holder.started}), which is no longer running: taking the lock over`);
      fs.rmSync(file, { force: true });
      continue;
    }
    const who = holder ? `process ${holder.pid}${holder.host !== me.host ? ` on ${holder.host}` : ''} (${holder.command}, since ${holder.started})` : `another process (${file} is unreadable)`;
    throw new UsageError(`${what} is in use by ${who}: wait for it to finish or stop it; if that process is gone, delete ${file}`);
  }
  throw new UsageError(`${what}: could not take the lock ${file}`);
}

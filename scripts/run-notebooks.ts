/**
 * npm run notebooks [-- NOTEBOOK…] [--out DIR] [--timeout S] [--jobs N]
 *
 * Executes notebooks top to bottom, headless, with the project's tslab kernel (through
 * scripts/jupyter/execute.py and Debian's nbclient), and exports each to HTML, `--jobs` at a time
 * (default: one per core; much of a notebook's time is single-threaded). A failing cell is
 * reported with its number, its source and its error text, and the run exits 1 after the rest
 * have run; a notebook that fails before any cell ran (its kernel did not start) is tried once more.
 * Executed notebooks and HTML go to build/notebooks/ (never back into notebooks/).
 */
import { spawn } from 'child_process';
import { Command } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../src/errors';
import { addParameterOptions, describeParameters, notebookParameters, parameterOptionsEnvironment } from '../src/notebook-params';
import { escapeHtml } from '../src/viz/display';
import { formatSeconds } from '../src/cli/progress';
import { PYTHON, ROOT, jupyterEnv, requireJupyter } from './jupyter/env';
import { runMain } from '../src/cli/run-main';

export interface NotebookResult {
  notebook: string;
  ok: boolean;
  seconds: number;
  html: string;
  executed: string;
  cell?: number | null;
  source?: string;
  error?: string;
}

export function listNotebooks(args: readonly string[]): string[] {
  if (args.length === 0) {
    const dir = path.join(ROOT, 'notebooks');
    return fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(dir, f));
  }
  return args.map((a) => {
    const named = fs.existsSync(a) ? a : path.join(ROOT, 'notebooks', a.endsWith('.ipynb') ? a : `${a}.ipynb`);
    if (!fs.existsSync(named) || !named.endsWith('.ipynb')) throw new UsageError(`no notebook ${a} (give a path or a name such as 01-tour)`);
    return path.resolve(named);
  });
}

export function executeNotebook(file: string, out: string, timeout: number): Promise<NotebookResult> {
  const name = path.basename(file, '.ipynb');
  const executed = path.join(out, 'executed', `${name}.ipynb`);
  const html = path.join(out, 'html', `${name}.html`);
  fs.mkdirSync(path.dirname(executed), { recursive: true });
  fs.mkdirSync(path.dirname(html), { recursive: true });
  const args = [path.join(ROOT, 'scripts', 'jupyter', 'execute.py'), file, '--executed', executed, '--html', html, '--cwd', ROOT, '--timeout', String(timeout)];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { env: jupyterEnv(), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      let parsed: Omit<NotebookResult, 'notebook' | 'html' | 'executed'>;
      try {
        parsed = JSON.parse(last);
      } catch {
        // The helper itself failed (bad notebook JSON, no kernel): its stderr says why.
        parsed = { ok: false, seconds: 0, error: `execute.py exited ${code}:\n${stderr.trim().split('\n').slice(-15).join('\n')}` };
      }
      resolve({ notebook: path.relative(ROOT, file), html, executed, ...parsed });
    });
  });
}

function indent(s: string): string {
  return s.split('\n').map((l) => `    ${l}`).join('\n');
}

export function describeFailure(r: NotebookResult): string {
  const where = r.cell ? `code cell ${r.cell}` : 'before any cell ran';
  return [`${r.notebook}: FAILED at ${where}`, ...(r.source ? ['  cell source:', indent(r.source)] : []), '  error:', indent(r.error ?? '(no error text)')].join('\n');
}

/** build/notebooks/index.html: one link per exported notebook, with its time and status. */
export function writeIndex(out: string, results: readonly NotebookResult[], parameters?: string): string {
  const rows = results
    .map((r) => `<li><a href="html/${path.basename(r.html)}">${path.basename(r.notebook, '.ipynb')}</a> — ${r.ok ? 'ran' : '<b>failed</b>'} in ${formatSeconds(r.seconds)}</li>`)
    .join('\n');
  const file = path.join(out, 'index.html');
  fs.writeFileSync(file, `<!doctype html><html><head><meta charset="utf-8"><title>deblur-lab notebooks</title></head><body style="font:14px sans-serif"><h1>deblur-lab notebooks</h1>${parameters ? `<p>Notebooks with a parameters cell ran on ${escapeHtml(parameters)}.</p>` : ''}<ul>${rows}</ul></body></html>\n`);
  return file;
}

/** Runs the notebooks, `jobs` kernels at a time; results in the order given, each reported as it ends. */
export async function runNotebooks(files: readonly string[], out: string, timeout: number, jobs = 1): Promise<NotebookResult[]> {
  requireJupyter(['nbclient', 'nbconvert', 'jupyter_client'], '--notebooks');
  const results: NotebookResult[] = new Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      let r = await executeNotebook(files[i]!, out, timeout);
      if (!r.ok && !r.cell) {
        // The kernel did not start. Kernels started at the same moment can take each other's ports
        // (jupyter_client then reports "Invalid Signature", seen once in `npm run demo`): one more try.
        console.error(`notebook ${r.notebook}: failed before any cell ran; trying once more`);
        r = await executeNotebook(files[i]!, out, timeout);
      }
      results[i] = r;
      console.log(`notebook ${r.notebook} ${r.ok ? `ran in ${formatSeconds(r.seconds)}` : 'FAILED'}`);
      if (!r.ok) console.error(describeFailure(r));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, files.length)) }, worker));
  return results;
}

async function main(argv: string[]): Promise<void> {
  const program = addParameterOptions(
    new Command('notebooks')
      .description('execute notebooks headless with the tslab kernel and export them to HTML')
      .argument('[notebooks...]', 'notebook files or names (default: every notebooks/*.ipynb)')
      .option('--out <dir>', 'where executed notebooks and HTML go', path.join(ROOT, 'build', 'notebooks'))
      .option('--timeout <seconds>', 'limit per cell', '900')
      .option('--jobs <n>', 'notebooks run at once (default: one per core)', String(os.availableParallelism())),
  ).parse(argv);
  // The notebooks' parameters cells read these from the environment their kernels inherit.
  Object.assign(process.env, await parameterOptionsEnvironment(program.opts(), ROOT));
  const given = notebookParameters(process.env, ROOT);
  const parameters = describeParameters(given);
  const timeout = Number(program.opts().timeout);
  if (!Number.isInteger(timeout) || timeout < 1) throw new UsageError(`--timeout must be a whole number of seconds, got ${program.opts().timeout}`);
  const jobs = Number(program.opts().jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a whole number ≥ 1, got ${program.opts().jobs}`);
  const out = path.resolve(program.opts().out as string);
  const results = await runNotebooks(listNotebooks(program.args), out, timeout, jobs);
  const index = writeIndex(out, results, parameters);
  const failed = results.filter((r) => !r.ok);
  console.log(`${results.length - failed.length} of ${results.length} notebooks ran; HTML report: ${path.relative(process.cwd(), index)}`);
  if (failed.length > 0) process.exitCode = 1;
}

if (require.main === module) runMain('notebooks', () => main(process.argv));

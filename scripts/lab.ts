/**
 * npm run lab [-- --port N] [--data DIR --weights A,B --limit N …]
 *
 * Starts Jupyter's classic Notebook server (Debian's notebook 6) on 127.0.0.1 with the project's
 * tslab kernel as the default, serving notebooks/, and prints the URL to open. Jupyter's state
 * stays under build/jupyter (see scripts/jupyter/env.ts). Ctrl-C stops it.
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { Command } from 'commander';
import * as path from 'path';
import { UsageError } from '../src/errors';
import { addParameterOptions, parameterOptionsEnvironment } from '../src/notebook-params';
import { PYTHON, ROOT, jupyterEnv, requireJupyter } from './jupyter/env';
import { runMain } from '../src/cli/run-main';

async function main(argv: string[]): Promise<void> {
  const program = addParameterOptions(
    new Command('lab')
      .description('start the Jupyter Notebook server with the tslab kernel on 127.0.0.1; the parameter options set what the notebooks look at')
      .option('--port <n>', 'port to listen on (the next free one if taken)', '8888'),
  ).parse(argv);
  const port = Number(program.opts().port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a port number, got ${program.opts().port}`);
  // The kernels the server starts inherit these: every notebook's parameters cell reads them.
  const parameters = await parameterOptionsEnvironment(program.opts(), ROOT);
  requireJupyter(['notebook'], '--lab');
  const token = randomBytes(16).toString('hex');
  const child = spawn(
    PYTHON,
    [
      '-m', 'notebook', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, `--NotebookApp.token=${token}`,
      '--MappingKernelManager.default_kernel_name=tslab', `--notebook-dir=${path.join(ROOT, 'notebooks')}`,
      // After each save: refresh git's entry of a notebook whose cleaned content is unchanged (see the file).
      `--config=${path.join(ROOT, 'scripts', 'jupyter', 'jupyter_notebook_config.py')}`,
      // Jupyter refuses to start as root without it (containers and CI run as root).
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ],
    { env: { ...jupyterEnv(), ...parameters }, cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] },
  );
  let announced = false;
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    process.stderr.write(text);
    // Jupyter picks another port when the asked one is taken: announce the one it really uses.
    const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
    if (m && !announced) {
      announced = true;
      console.log(`\ndeblur-lab notebooks: http://127.0.0.1:${m[1]}/tree?token=${token}\n(kernel: TypeScript (deblur-lab), running in ${ROOT}; Ctrl-C to stop)\n`);
    }
  });
  // One SIGTERM stops Jupyter cleanly (it shuts its kernels down first). On Ctrl-C the terminal has
  // already sent Jupyter a SIGINT too; a second SIGINT would cut its clean-up short and leave the
  // kernel running, so SIGINT is never forwarded.
  const stop = (): void => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  if (!announced) process.exitCode = code || 1; // it never came up: the reason is in its output above
}

runMain('lab', () => main(process.argv));

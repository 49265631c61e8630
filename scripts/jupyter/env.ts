import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../../src/errors';

/** The project root (this file is scripts/jupyter/env.ts). */
export const ROOT = path.resolve(__dirname, '..', '..');
/** Debian's Jupyter: the python3 first on PATH may be another one without it. */
export const PYTHON = '/usr/bin/python3';

/**
 * Environment for Jupyter kept inside the project: the tslab kernel spec from
 * scripts/jupyter/kernels (JUPYTER_PATH), and config, data and runtime folders under
 * build/jupyter, so nothing is read from or written to the home directory.
 */
export function jupyterEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const build = path.join(ROOT, 'build', 'jupyter');
  const dirs = { JUPYTER_CONFIG_DIR: 'config', JUPYTER_DATA_DIR: 'data', JUPYTER_RUNTIME_DIR: 'runtime', IPYTHONDIR: 'ipython' };
  const env: NodeJS.ProcessEnv = {
    ...base,
    JUPYTER_PATH: path.join(ROOT, 'scripts', 'jupyter'),
    JUPYTER_PLATFORM_DIRS: '0',
    // Debian's Python 3.11 makes pydevd (loaded by ipykernel's debugger) warn about frozen modules
    // at every kernel start; the lab does not debug Python, so the warning is noise in the terminal.
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
  for (const [k, sub] of Object.entries(dirs)) {
    env[k] = path.join(build, sub);
    fs.mkdirSync(env[k]!, { recursive: true });
  }
  writeNotebookConfig(path.join(build, 'config'));
  return env;
}

/**
 * The classic Notebook's front-end settings for the lab: code cells wrap long lines instead of
 * scrolling sideways. Merged into what is there, so a user's own settings stay.
 */
function writeNotebookConfig(configDir: string): void {
  const file = path.join(configDir, 'nbconfig', 'notebook.json');
  let config: { CodeCell?: { cm_config?: Record<string, unknown> } } = {};
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // absent or unreadable: start from the lab's settings
  }
  if (config.CodeCell?.cm_config?.['lineWrapping'] !== undefined) return;
  config.CodeCell = { ...config.CodeCell, cm_config: { ...config.CodeCell?.cm_config, lineWrapping: true } };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
}

/** Fails with the set-up command to run when Debian's Jupyter pieces are missing. */
export function requireJupyter(modules: readonly string[], setupFlag: string): void {
  const probe = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new UsageError(`Jupyter is not installed (needs Python modules ${modules.join(', ')} from Debian); run: bash scripts/setup.sh ${setupFlag}`);
  }
}

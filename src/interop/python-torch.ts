import { spawnSync } from 'node:child_process';
import { UsageError } from '../errors';
import { moduleArgs, PYTHON, pythonEnv } from '../python';

export { PYTHON } from '../python';

/** Why PyTorch cannot run here (naming the setup command that installs it), or undefined when it can. */
export function torchUnavailable(setupOption = '--bench'): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found`;
  if (probe.status !== 0) return `python3-torch is not installed (install it with: bash scripts/setup.sh ${setupOption})`;
  return undefined;
}

/**
 * Runs deblur_twin.checkpoint_io (`read CKPT DIR` or `write DIR CKPT`). Its own errors (exit 3: a
 * file torch cannot read, or that is no state_dict) become UsageErrors naming `what`.
 */
export function checkpointIo(args: ['read' | 'write', string, string, ...'--trust'[]], what: string): void {
  const r = spawnSync(PYTHON, moduleArgs('checkpoint_io', args), { encoding: 'utf8', maxBuffer: 1 << 24, env: pythonEnv() });
  // No separate probe for torch: importing it takes ~2 s, so the script's own failure says it.
  const missing = r.error ? `${PYTHON} not found` : /No module named '(torch|numpy)'/.test(r.stderr) ? torchUnavailable('--bench') : undefined;
  if (missing) throw new UsageError(`${what}: reading and writing PyTorch checkpoints needs PyTorch: ${missing}`);
  if (r.status === 3) throw new UsageError(`${what}: ${r.stderr.trim().replace(/^checkpoint_io: /, '')}`);
  if (r.status !== 0) throw new Error(`deblur_twin.checkpoint_io ${args[0]} failed (exit ${r.status}): ${r.stderr.trim()}`);
}

import * as path from 'node:path';

/**
 * The lab's Python: one package, python/deblur_twin (the PyTorch twin, its trainer and benchmark,
 * torch's checkpoint files, RealBlur's alignment, MIMO-UNet's reference), whose modules run as
 * `python3 -m deblur_twin.NAME` with python/ on PYTHONPATH: no file edits sys.path.
 */

/** Debian's python3 (the one python3-torch and python3-opencv install into); the first python3 on PATH may be another. */
export const PYTHON = '/usr/bin/python3';

/** The folder holding the package (python/ of the checkout, or of a bundle). */
export const PYTHON_ROOT = path.resolve(__dirname, '..', 'python');

export type TwinModule = 'torch_twin' | 'train' | 'bench' | 'checkpoint_io' | 'realblur_align' | 'mimo_unet_reference';

/** The arguments that run one of the package's modules: `-m deblur_twin.NAME ARGS…`. */
export function moduleArgs(name: TwinModule, args: readonly string[] = []): string[] {
  return ['-m', `deblur_twin.${name}`, ...args];
}

/** `base` (default this process's environment) with the package's folder first on PYTHONPATH. */
export function pythonEnv(base: NodeJS.ProcessEnv = process.env, root: string = PYTHON_ROOT): NodeJS.ProcessEnv {
  return { ...base, PYTHONPATH: [root, base['PYTHONPATH']].filter((p) => p).join(path.delimiter) };
}

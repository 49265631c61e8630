import type { KernelBackend, KernelConfig } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { replacing } from '../support/replacing';
import { share } from '../support/share';

/** Identity shares its input's buffer (support/share.ts): the engine clones every tensor it saves for the backward pass. */
function sharedIdentity(): KernelConfig {
  return replacing(Identity.name, 'wasm', (copy) => (args) => {
    const x = args.inputs['x']!;
    return x.dtype === 'string' ? copy(args) : share(x, args.backend as KernelBackend);
  });
}

export const Identity: KernelModule = { name: 'Identity', wasm: sharedIdentity };

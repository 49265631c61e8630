import type { DataType, KernelBackend, KernelConfig } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { replacing } from '../support/replacing';
import { share } from '../support/share';

/** Cast to the same dtype shares; a real conversion runs the backend's own Cast. */
function sharedCast(): KernelConfig {
  return replacing(Cast.name, 'wasm', (convert) => (args) => {
    const x = args.inputs['x']!;
    const dtype = (args.attrs as { dtype: DataType }).dtype;
    return x.dtype === dtype ? share(x, args.backend as KernelBackend) : convert(args);
  });
}

export const Cast: KernelModule = { name: 'Cast', wasm: sharedCast };

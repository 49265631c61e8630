import type { KernelModule } from '../kernel-module';
import { forwardKernel } from '../support/onednn-conv';

/** A convolution, on oneDNN on all cores (support/onednn-conv.ts); what it cannot express goes to wasm's own (XNNPACK, one thread). */
export const Conv2D: KernelModule = { name: 'Conv2D', native: (addon) => forwardKernel(addon, 'Conv2D', false, false) };

import type { KernelModule } from '../kernel-module';
import { forwardKernel } from '../support/onednn-conv';

/** A convolution with its bias and ReLU, on oneDNN on all cores (support/onednn-conv.ts); what it cannot express goes to wasm's own (XNNPACK, one thread). */
export const FusedConv2D: KernelModule = { name: 'FusedConv2D', native: (addon) => forwardKernel(addon, 'FusedConv2D', false, true) };

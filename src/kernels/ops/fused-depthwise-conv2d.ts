import type { KernelModule } from '../kernel-module';
import { forwardKernel } from '../support/onednn-conv';

/** A depthwise convolution with its bias and ReLU, on oneDNN on all cores (support/onednn-conv.ts); what it cannot express goes to wasm's own (XNNPACK, one thread). */
export const FusedDepthwiseConv2D: KernelModule = { name: 'FusedDepthwiseConv2D', native: (addon) => forwardKernel(addon, 'FusedDepthwiseConv2D', true, true) };

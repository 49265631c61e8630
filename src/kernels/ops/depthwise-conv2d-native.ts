import type { KernelModule } from '../kernel-module';
import { forwardKernel } from '../support/onednn-conv';

/** A depthwise convolution, on oneDNN on all cores (support/onednn-conv.ts); what it cannot express goes to wasm's own (XNNPACK, one thread). */
export const DepthwiseConv2dNative: KernelModule = { name: 'DepthwiseConv2dNative', native: (addon) => forwardKernel(addon, 'DepthwiseConv2dNative', true, false) };

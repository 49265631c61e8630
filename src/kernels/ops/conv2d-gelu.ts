import type { KernelModule } from '../kernel-module';
import { CONV2D_GELU, geluConvKernel } from '../support/onednn-conv';

/** A convolution, its bias and GELU as one oneDNN primitive (support/onednn-conv.ts); this lab's own kernel name, native only. */
export const Conv2DGelu: KernelModule = { name: CONV2D_GELU, native: (addon) => geluConvKernel(addon) };

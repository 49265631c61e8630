import type { KernelModule } from '../kernel-module';
import { binaryKernel } from '../support/broadcast';

/** Add of float32 tensors, either operand broadcast, on the native addon (support/broadcast.ts). */
export const Add: KernelModule = { name: 'Add', native: (addon) => binaryKernel(addon, 'Add', 0) };

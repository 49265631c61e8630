import type { KernelModule } from '../kernel-module';
import { binaryKernel } from '../support/broadcast';

/** Sub of float32 tensors, either operand broadcast, on the native addon (support/broadcast.ts). */
export const Sub: KernelModule = { name: 'Sub', native: (addon) => binaryKernel(addon, 'Sub', 1) };

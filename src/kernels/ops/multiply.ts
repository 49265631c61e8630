import type { KernelModule } from '../kernel-module';
import { binaryKernel } from '../support/broadcast';

/** Multiply of float32 tensors, either operand broadcast, on the native addon (support/broadcast.ts). */
export const Multiply: KernelModule = { name: 'Multiply', native: (addon) => binaryKernel(addon, 'Multiply', 2) };

import type { KernelModule } from '../kernel-module';
import { binaryKernel } from '../support/broadcast';

/** RealDiv of float32 tensors, either operand broadcast, on the native addon (support/broadcast.ts). */
export const RealDiv: KernelModule = { name: 'RealDiv', native: (addon) => binaryKernel(addon, 'RealDiv', 3) };

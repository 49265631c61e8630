import type { KernelModule } from '../kernel-module';
import { reduceKernel } from '../support/reduction';

/** Sum over axes that sit together, on the native addon in one pass on all cores (support/reduction.ts). */
export const Sum: KernelModule = { name: 'Sum', native: (addon) => reduceKernel(addon, 'Sum', false) };

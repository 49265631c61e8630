import type { KernelModule } from '../kernel-module';
import { reduceKernel } from '../support/reduction';

/** Mean over axes that sit together, on the native addon in one pass on all cores (support/reduction.ts). */
export const Mean: KernelModule = { name: 'Mean', native: (addon) => reduceKernel(addon, 'Mean', true) };

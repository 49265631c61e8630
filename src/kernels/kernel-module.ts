import type { KernelConfig } from '@tensorflow/tfjs';
import type { NativeAddon } from './native/addon';

/**
 * Everything this lab registers under one kernel name, in that name's one module (ops/): its
 * kernel for tfjs-backend-wasm where it has one, the native addon's, and a fix for the cpu
 * backend. all-kernels.ts lists every module; kernels/index.ts registers from that list only.
 */
export interface KernelModule {
  /** The tfjs kernel name (or this lab's own, e.g. DeblurAdamStep). */
  name: string;
  /** This lab's kernel for tfjs-backend-wasm (a gradient wasm lacks, or a faster one). */
  wasm?: () => KernelConfig;
  /**
   * The native addon's kernel for 'wasm', given this lab's wasm kernel where the module has one
   * (some fall back to it); undefined where the addon was built before this kernel existed.
   */
  native?: (addon: NativeAddon, labWasm: KernelConfig | undefined) => KernelConfig | undefined;
  /** A replacement for tfjs-backend-cpu's own kernel. */
  cpu?: () => KernelConfig;
}

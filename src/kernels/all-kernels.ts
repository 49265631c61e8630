import type { KernelModule } from './kernel-module';
import { AdamStep } from './ops/adam-step';
import { Add } from './ops/add';
import { AddN } from './ops/add-n';
import { AvgPool } from './ops/avg-pool';
import { AvgPoolGrad } from './ops/avg-pool-grad';
import { BatchMatMul } from './ops/batch-mat-mul';
import { Cast } from './ops/cast';
import { Concat } from './ops/concat';
import { ConvBiasGrad } from './ops/conv-bias-grad';
import { Conv2D } from './ops/conv2d';
import { Conv2DGelu } from './ops/conv2d-gelu';
import { Conv2DBackpropFilter } from './ops/conv2d-backprop-filter';
import { Conv2DBackpropInput } from './ops/conv2d-backprop-input';
import { DepthwiseConv2dNative } from './ops/depthwise-conv2d-native';
import { DepthwiseConv2dNativeBackpropFilter } from './ops/depthwise-conv2d-native-backprop-filter';
import { DepthwiseConv2dNativeBackpropInput } from './ops/depthwise-conv2d-native-backprop-input';
import { Einsum } from './ops/einsum';
import { FusedConv2D } from './ops/fused-conv2d';
import { FusedDepthwiseConv2D } from './ops/fused-depthwise-conv2d';
import { Gelu } from './ops/gelu';
import { Identity } from './ops/identity';
import { LayerNorm } from './ops/layer-norm';
import { Mean } from './ops/mean';
import { MulSum } from './ops/mul-sum';
import { Multiply } from './ops/multiply';
import { RealDiv } from './ops/real-div';
import { ResizeNearestNeighbor } from './ops/resize-nearest-neighbor';
import { ResizeNearestNeighborGrad } from './ops/resize-nearest-neighbor-grad';
import { Slice } from './ops/slice';
import { SplitV } from './ops/split-v';
import { StridedSlice } from './ops/strided-slice';
import { Square } from './ops/square';
import { Sub } from './ops/sub';
import { Sum } from './ops/sum';
import { Tanh } from './ops/tanh';
import { Tile } from './ops/tile';
import { Transpose } from './ops/transpose';

/**
 * Every kernel this lab registers, one module per kernel name (ops/, named after it). Registration
 * (kernels/index.ts) walks this list only, so a kernel is added by adding its module here.
 */
export const ALL_KERNELS: readonly KernelModule[] = [
  // Convolutions: oneDNN forward; gradients wasm lacks (or has as a slow loop), then oneDNN's.
  Conv2D, FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2D,
  Conv2DBackpropInput, Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropFilter,
  ConvBiasGrad,
  // Copies within the wasm heap, and buffer sharing.
  Identity, Cast, Slice, SplitV, StridedSlice, Concat, Tile, Transpose,
  // Elementwise, reductions and products on all cores.
  Add, Sub, Multiply, RealDiv, Square, Tanh, AddN, Sum, Mean, MulSum, BatchMatMul,
  // Resampling.
  AvgPool, AvgPoolGrad, ResizeNearestNeighbor, ResizeNearestNeighborGrad,
  // Kernels for peers (MAXIM's products and its GELUs and layer norms, each fused) and the optimiser.
  Einsum, Gelu, LayerNorm, Conv2DGelu, AdamStep,
];

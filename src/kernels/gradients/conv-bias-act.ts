import * as tf from '@tensorflow/tfjs';
import { CONV_BIAS_GRAD, convAttrs, type ConvBiasGradAttrs } from '../ops/conv-bias-grad';

/**
 * `[relu](conv2d(x, filter) + bias)` (NHWC, no dilation) that stays one fused kernel when
 * gradients are recorded. tfjs's fused conv2d unfuses any activation but 'linear' in training:
 * a Conv2D, an Add and a Relu forward, each output kept for the backward pass, then Step, Cast,
 * Multiply, both convolution gradients and a bias Sum backward. Here the forward is FusedConv2D
 * (bias and ReLU applied as the output is written) keeping only its output, and the backward is
 * one DeblurConvBiasGrad kernel where the backend has it (ops/conv-bias-grad.ts), else those same tfjs
 * kernels. Its gradients equal tfjs's (tests/kernels/conv-bias-act.test.ts).
 */
export function convBiasAct(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, conv: ConvBiasGradAttrs, activation: 'relu' | 'linear'): tf.Tensor4D {
  const relu = activation === 'relu';
  const attrs = { strides: conv.strides, pad: conv.pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, activation };
  const op = tf.customGrad((xIn, filterIn, biasIn, save) => {
    const y = tf.engine().runKernel('FusedConv2D', { x: xIn as tf.Tensor, filter: filterIn as tf.Tensor, bias: biasIn as tf.Tensor }, attrs as never) as tf.Tensor4D;
    (save as tf.GradSaveFunc)(relu ? [xIn as tf.Tensor, filterIn as tf.Tensor, y] : [xIn as tf.Tensor, filterIn as tf.Tensor]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => convBiasGradients(saved[0]!, saved[1]!, relu ? saved[2]! : undefined, dy, conv),
    };
  });
  return op(x, filter, bias) as tf.Tensor4D;
}

/** [dx, dFilter, dBias] of `[relu](conv(x, filter) + bias)`, given its output y for a ReLU. */
export function convBiasGradients(x: tf.Tensor, filter: tf.Tensor, y: tf.Tensor | undefined, dy: tf.Tensor, conv: ConvBiasGradAttrs): tf.Tensor[] {
  if (tf.getKernel(CONV_BIAS_GRAD, tf.getBackend()) !== undefined) {
    const inputs: tf.NamedTensorMap = y === undefined ? { x, filter, dy } : { x, filter, dy, y };
    return tf.engine().runKernel(CONV_BIAS_GRAD, inputs, conv as never) as tf.Tensor[];
  }
  return tf.tidy(() => {
    // tfjs's own gradient of the unfused ops, kernel for kernel.
    const grad = y === undefined ? dy : tf.mul(dy, tf.step(y));
    const attrs = convAttrs(conv);
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy: grad, filter }, { ...attrs, inputShape: x.shape } as never) as tf.Tensor;
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: grad }, { ...attrs, filterShape: filter.shape } as never) as tf.Tensor;
    return [dx, dw, tf.sum(grad, [0, 1, 2])];
  });
}

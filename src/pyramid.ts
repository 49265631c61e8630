import * as tf from '@tensorflow/tfjs';

/**
 * [R3, R2, R1]: an image batch at ¼, ½ and full size, downscaled with the same 2×2 box filter the
 * network applies to its blurred input (AveragePooling2D), so that S_k and R_k are compared on
 * the same grid. A 2×2 box is bilinear ×½ with half-pixel centres, MIMO-UNet's label resizing.
 */
export function imagePyramid(full: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const half = tf.avgPool(full, 2, 2, 'valid');
    const quarter = tf.avgPool(half, 2, 2, 'valid');
    return [quarter, half, tf.clone(full)];
  });
}

import { concat, conv, type T } from './layers';

/**
 * MIMO-UNet's shallow convolution module: features of the downscaled blurred image B_k, with the
 * raw RGB concatenated back in. Params for p = 64: 16,413; p = 128: 64,573.
 */
export function scm(image: T, planes: number, name: string): T {
  let t = conv(image, { filters: planes / 4, kernel: 3, relu: true, name: `${name}_conv1` });
  t = conv(t, { filters: planes / 2, kernel: 1, relu: true, name: `${name}_conv2` });
  t = conv(t, { filters: planes / 2, kernel: 3, relu: true, name: `${name}_conv3` });
  t = conv(t, { filters: planes - 3, kernel: 1, relu: true, name: `${name}_conv4` });
  return conv(concat([image, t], `${name}_cat`), { filters: planes, kernel: 1, name: `${name}_out` });
}

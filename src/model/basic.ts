import { add, conv, type T } from './layers';

/** MIMO-UNet's ResBlock, the paper's "Baseline" block: conv3×3+ReLU, conv3×3, + x. Params 2(9c²+c). */
export function resBlock(x: T, channels: number, name: string): T {
  const a = conv(x, { filters: channels, kernel: 3, relu: true, name: `${name}_conv1` });
  const b = conv(a, { filters: channels, kernel: 3, name: `${name}_conv2` });
  return add([b, x], `${name}_add`);
}

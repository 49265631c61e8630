import type { NetConfig } from './config';
import { add, concat, conv, dense, globalPool, multiply, permute, reshape, softmaxLast, type T } from './layers';
import { resampleTo, type DownMode } from './resample';

/**
 * DFFM, the paper's dynamic feature fusion module at decoder level `level` (SKNet-style):
 *   x_k = conv1×1(resample(E_k))             for the three encoder outputs E_1..E_3
 *   a   = softmax over k of FC(ReLU(FC(GAP(x_1 + x_2 + x_3))))   a: [batch, C_l, 3], Σ_k a_k = 1
 *   out = conv1×1(concat(a_1·x_1, a_2·x_2, a_3·x_3))
 * The softmax layer is named `${name}_weights`; its output is the probe the notebooks plot.
 * tfjs's softmax works on the last axis only, so the logits are laid out [C_l, 3] and then
 * permuted to [3, C_l] to line up with the concatenated features.
 */
export function dffm(encoders: [T, T, T], level: number, channels: number, cfg: NetConfig['dffm'], name: string, down: DownMode = 'box'): T {
  const xs = encoders.map((e, i) => resampleTo(e, i + 1, level, channels, `${name}_x${i + 1}`, down));
  const sum = add(xs, `${name}_sum`);
  const hidden = Math.max(Math.floor(channels / cfg.reduction), cfg.minHidden);
  const squeezed = dense(globalPool(sum, `${name}_pool`), hidden, 'relu', `${name}_fc1`);
  const logits = reshape(dense(squeezed, channels * 3, 'linear', `${name}_fc2`), [channels, 3], `${name}_logits`);
  const weights = softmaxLast(logits, `${name}_weights`);
  const perBranch = reshape(permute(weights, [2, 1], `${name}_permute`), [1, 1, 3 * channels], `${name}_scale`);
  const weighted = multiply([concat(xs, `${name}_cat`), perBranch], `${name}_mul`);
  return conv(weighted, { filters: channels, kernel: 1, name: `${name}_out` });
}

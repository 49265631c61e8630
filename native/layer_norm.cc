// Layer normalisation over the channel axis in one pass over memory: MAXIM's graph spells each of
// its layer norms as about ten kernels (two of them reductions), each reading and writing a whole
// activation. It keeps the graph's own formula (flax's: variance as E[x²] − E[x]², floored at 0),
// so the fused block computes what the graph computes.
#include <cmath>

#include "kernels.h"

namespace {

// layerNorm(x, channels, gamma, beta, epsilon, out): each row of `channels` values normalised as
// flax's LayerNorm does, in the graph's order of operations: mean = Σx / C, var = max(0, Σx² / C −
// mean²), out = (x − mean) · (rsqrt(var + ε) · γ) + β.
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "x must be a Float32Array");
  const int64_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const int64_t c = integer(info[1], "channels");
  if (c <= 0 || n % c != 0) throw Napi::RangeError::New(info.Env(), "layerNorm: x's length must be a multiple of channels");
  const float* x = floats(info[0], n, "x");
  const float* gamma = floats(info[2], c, "gamma");
  const float* beta = floats(info[3], c, "beta");
  const float epsilon = static_cast<float>(info[4].As<Napi::Number>().DoubleValue());
  float* out = floats(info[5], n, "out");
  const int64_t rows = n / c;
  const float inverse = 1.f / static_cast<float>(c);
#pragma omp parallel for if (n * 4 > kParallelBytes)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* o = out + r * c;
    float sum = 0.f, squares = 0.f;
#pragma omp simd reduction(+ : sum, squares)
    for (int64_t i = 0; i < c; i++) {
      sum += xr[i];
      squares += xr[i] * xr[i];
    }
    const float mean = sum * inverse;
    const float variance = std::fmax(0.f, squares * inverse - mean * mean);
    const float scale = 1.f / std::sqrt(variance + epsilon);
#pragma omp simd
    for (int64_t i = 0; i < c; i++) o[i] = (xr[i] - mean) * (scale * gamma[i]) + beta[i];
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterLayerNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
}

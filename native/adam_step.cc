// One Adam step (and the weight average's update) over every trainable weight in one call, in
// place on the wasm heap's outputs. A tfjs Adam step is about ten small kernels per weight (the
// moments, the bias corrections, the square root, the update), thousands of calls per step for
// the lab's networks, each costing far more to dispatch than to compute; this is one loop.
#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels.h"

namespace {

std::vector<float*> floatList(const Napi::Value& v, const std::vector<int64_t>& sizes, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array of Float32Arrays");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() != sizes.size()) {
    throw Napi::RangeError::New(v.Env(), std::string(what) + ": expected " + std::to_string(sizes.size()) + " arrays");
  }
  std::vector<float*> out(sizes.size());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = floats(a.Get(i), static_cast<size_t>(sizes[i]), what);
  return out;
}

// adamStep(p, g, m, v, ema, pOut, mOut, vOut, emaOut, lr, beta1, beta2, epsilon, correction1,
//          correction2, emaRate) → true when every gradient value is finite.
//   m' = β1 m + (1 − β1) g;  v' = β2 v + (1 − β2) g²
//   p' = p − lr · (m' / c1) / (sqrt(v' / c2) + ε)      (c1 = 1 − β1^t, c2 = 1 − β2^t: tfjs's and PyTorch's Adam)
//   ema' = ema + rate · (p' − ema)                     (when ema is not empty)
// The outputs are written whatever the gradients hold; the caller keeps them only when it says true.
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "p must be an array of Float32Arrays");
  Napi::Array pa = info[0].As<Napi::Array>();
  std::vector<int64_t> sizes(pa.Length());
  for (uint32_t i = 0; i < pa.Length(); i++) {
    Napi::Value e = pa.Get(i);
    if (!e.IsTypedArray()) throw Napi::TypeError::New(env, "p must be an array of Float32Arrays");
    sizes[i] = static_cast<int64_t>(e.As<Napi::TypedArray>().ElementLength());
  }
  const auto p = floatList(info[0], sizes, "p");
  const auto g = floatList(info[1], sizes, "g");
  const auto m = floatList(info[2], sizes, "m");
  const auto v = floatList(info[3], sizes, "v");
  const bool average = info[4].As<Napi::Array>().Length() > 0;
  const auto ema = average ? floatList(info[4], sizes, "ema") : std::vector<float*>();
  const auto pOut = floatList(info[5], sizes, "pOut");
  const auto mOut = floatList(info[6], sizes, "mOut");
  const auto vOut = floatList(info[7], sizes, "vOut");
  const auto emaOut = average ? floatList(info[8], sizes, "emaOut") : std::vector<float*>();
  const float lr = info[9].As<Napi::Number>().FloatValue();
  const float b1 = info[10].As<Napi::Number>().FloatValue();
  const float b2 = info[11].As<Napi::Number>().FloatValue();
  const float eps = info[12].As<Napi::Number>().FloatValue();
  const float c1 = info[13].As<Napi::Number>().FloatValue();
  const float c2 = info[14].As<Napi::Number>().FloatValue();
  const float rate = info[15].As<Napi::Number>().FloatValue();

  // Flatten to (array, start, end) chunks of similar size so threads share big and small weights alike.
  constexpr int64_t kChunk = 1 << 14;
  std::vector<std::array<int64_t, 3>> chunks;
  for (size_t i = 0; i < sizes.size(); i++) {
    for (int64_t s = 0; s < sizes[i]; s += kChunk) chunks.push_back({static_cast<int64_t>(i), s, std::min(sizes[i], s + kChunk)});
  }
  int finite = 1;
#pragma omp parallel for schedule(dynamic, 4) reduction(&& : finite) if (chunks.size() > 8)
  for (size_t k = 0; k < chunks.size(); k++) {
    const auto [i, s, e] = chunks[k];
    const float *pi = p[i], *gi = g[i], *mi = m[i], *vi = v[i];
    float *po = pOut[i], *mo = mOut[i], *vo = vOut[i];
    bool ok = true;
    for (int64_t j = s; j < e; j++) {
      const float gj = gi[j];
      ok = ok && std::isfinite(gj);
      const float mj = b1 * mi[j] + (1.0f - b1) * gj;
      const float vj = b2 * vi[j] + (1.0f - b2) * gj * gj;
      mo[j] = mj;
      vo[j] = vj;
      po[j] = pi[j] - lr * (mj / c1) / (std::sqrt(vj / c2) + eps);
    }
    if (average) {
      const float* ai = ema[i];
      float* ao = emaOut[i];
      for (int64_t j = s; j < e; j++) ao[j] = ai[j] + rate * (po[j] - ai[j]);
    }
    finite = finite && ok;
  }
  return Napi::Boolean::New(env, finite != 0);
}

}  // namespace

void RegisterOptimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("adamStep", Napi::Function::New(env, AdamStep));
}

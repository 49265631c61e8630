// Reductions for tfjs-backend-wasm on all cores (OpenMP), in place on the wasm heap (TypeScript
// side: src/kernels/support/reduction.ts, ops/sum.ts, ops/mean.ts, ops/mul-sum.ts). wasm's own Sum
// transposes the reduced axes to the end first (a full copy) and runs on one thread.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels.h"

namespace {

// out[a, b] = scale · Σ_r term(i), i = (a·R + r)·B + b: a sum over the middle axis of an [A, R, B]
// array, kept in double. Each thread sums its own range of r into partials[thread][a][b]; the
// partials are then added. Many short contiguous sums (B = 1) are shared by rows instead. Either way
// results do not depend on scheduling.
template <typename Term>
void sumMiddle(int64_t A, int64_t R, int64_t B, double scale, float* out, Term term) {
  const bool parallel = A * R * B * 4 > kParallelBytes;
  // Many short sums (a layer norm's mean over a few channels at every pixel): the threads share the
  // rows a instead, each output summed whole by one thread, in order.
  if (A >= 256 && B == 1) {
#pragma omp parallel for if (parallel)
    for (int64_t a = 0; a < A; a++) {
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t r = 0; r < R; r++) s += term(a * R + r);
      out[a] = static_cast<float>(s * scale);
    }
    return;
  }
  const int threads = parallel ? omp_get_max_threads() : 1;
  std::vector<double> partials(static_cast<size_t>(threads) * A * B, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int64_t r0 = R * t / threads, r1 = R * (t + 1) / threads;
    double* acc = partials.data() + static_cast<size_t>(t) * A * B;
    for (int64_t a = 0; a < A; a++) {
      double* row = acc + a * B;
      if (B == 1) {
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t r = r0; r < r1; r++) s += term(a * R + r);
        row[0] = s;
      } else {
        for (int64_t r = r0; r < r1; r++) {
          const int64_t base = (a * R + r) * B;
#pragma omp simd
          for (int64_t b = 0; b < B; b++) row[b] += term(base + b);
        }
      }
    }
  }
  for (int64_t i = 0; i < A * B; i++) {
    double s = 0;
    for (int t = 0; t < threads; t++) s += partials[static_cast<size_t>(t) * A * B + i];
    out[i] = static_cast<float>(s * scale);
  }
}

// sumAxes(x, A, R, B, out, scale): out[a, b] = scale · Σ_r x[a, r, b] for x viewed as [A, R, B].
// Any reduction of a contiguous tensor over adjacent axes has this form.
Napi::Value SumAxes(const Napi::CallbackInfo& info) {
  const int64_t A = integer(info[1], "A"), R = integer(info[2], "R"), B = integer(info[3], "B");
  const double scale = info[5].As<Napi::Number>().DoubleValue();
  const float* x = floats(info[0], A * R * B, "x");
  sumMiddle(A, R, B, scale, floats(info[4], A * B, "out"), [x](int64_t i) { return static_cast<double>(x[i]); });
  return info.Env().Undefined();
}

// mulSum(a, b, P, Q, S, out): out[p, s] = Σ_q a[p, q, s] · b[p, q, s], each product in float (as the
// Multiply it replaces) and the sum in double (sumMiddle, as sumAxes): the gradient of a
// broadcast factor (the channel attention's scale) without the full-size product tfjs writes first.
Napi::Value MulSum(const Napi::CallbackInfo& info) {
  const int64_t P = integer(info[2], "P"), Q = integer(info[3], "Q"), S = integer(info[4], "S");
  const float* a = floats(info[0], P * Q * S, "a");
  const float* b = floats(info[1], P * Q * S, "b");
  sumMiddle(P, Q, S, 1.0, floats(info[5], P * S, "out"), [a, b](int64_t i) { return static_cast<double>(a[i] * b[i]); });
  return info.Env().Undefined();
}

}  // namespace

void RegisterReductions(Napi::Env env, Napi::Object exports) {
  exports.Set("sumAxes", Napi::Function::New(env, SumAxes));
  exports.Set("mulSum", Napi::Function::New(env, MulSum));
}

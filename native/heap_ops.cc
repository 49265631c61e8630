// Reductions, broadcasting arithmetic and concat/split copies for tfjs-backend-wasm, on all cores
// (OpenMP), in place on the wasm heap. wasm's own Sum transposes the reduced axes to the end first
// (a full copy), its broadcasting Add/Mul walk indices per element, and both run on one thread; the
// MSRM split and concat and their gradients copy short runs of channels per pixel.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace {

// body(b0, b1) over [0, n) in blocks of 4096 floats that the threads share: the flat passes (AddN,
// an element-wise op without broadcast), each block small enough that all of its operands stay in cache.
template <typename Body>
void inBlocks(int64_t n, Body body) {
  constexpr int64_t kBlock = 4096;
#pragma omp parallel for if (n * 4 > kParallelBytes)
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) body(b0, std::min(n, b0 + kBlock));
}

// out[a, b] = scale · Σ_r term(i), i = (a·R + r)·B + b: a sum over the middle axis of an [A, R, B]
// array, kept in double. Each thread sums its own range of r into partials[thread][a][b]; the
// partials are then added, so results do not depend on scheduling.
template <typename Term>
void sumMiddle(int64_t A, int64_t R, int64_t B, double scale, float* out, Term term) {
  const bool parallel = A * R * B * 4 > kParallelBytes;
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

enum class BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };

template <BinaryOp op>
inline float apply(float x, float y) {
  if constexpr (op == BinaryOp::kAdd) return x + y;
  if constexpr (op == BinaryOp::kSub) return x - y;
  if constexpr (op == BinaryOp::kMul) return x * y;
  return x / y;
}

// out[p, q, s] = a ∘ b, where an operand that is not `full` is [P, 1, S], broadcast over q.
template <BinaryOp op>
void binaryRows(const float* a, bool aFull, const float* b, bool bFull, int64_t P, int64_t Q, int64_t S, float* out) {
  if (S == 1) {  // one value per p broadcast over q (a scalar operand is P = 1): vectorise over q
    const int64_t xs = aFull ? 1 : 0, ys = bFull ? 1 : 0;
    if (Q * 4 > kParallelBytes) {  // long rows (a scalar operand): the threads share each row
      for (int64_t p = 0; p < P; p++) {
        const float* x = a + (aFull ? p * Q : p);
        const float* y = b + (bFull ? p * Q : p);
        float* o = out + p * Q;
#pragma omp parallel for simd
        for (int64_t q = 0; q < Q; q++) o[q] = apply<op>(x[q * xs], y[q * ys]);
      }
      return;
    }
    // Short rows (a per-pixel value over a few channels, as layer norm's x - mean): the threads
    // share the rows. A parallel region per row, even one its `if` clause serialises, costs
    // microseconds: 16384 rows of 32 took 75 ms instead of ~1.
#pragma omp parallel for if (P * Q * 4 > kParallelBytes)
    for (int64_t p = 0; p < P; p++) {
      const float* x = a + (aFull ? p * Q : p);
      const float* y = b + (bFull ? p * Q : p);
      float* o = out + p * Q;
#pragma omp simd
      for (int64_t q = 0; q < Q; q++) o[q] = apply<op>(x[q * xs], y[q * ys]);
    }
    return;
  }
  if (aFull && bFull) {  // no broadcast: one flat run in blocks (as rows, P = Q = 1 kept it on one thread)
    inBlocks(P * Q * S, [=](int64_t b0, int64_t b1) {
#pragma omp simd
      for (int64_t i = b0; i < b1; i++) out[i] = apply<op>(a[i], b[i]);
    });
    return;
  }
#pragma omp parallel for if (P * Q * S * 4 > kParallelBytes)
  for (int64_t row = 0; row < P * Q; row++) {
    const int64_t p = row / Q;
    const float* x = a + (aFull ? row : p) * S;
    const float* y = b + (bFull ? row : p) * S;
    float* o = out + row * S;
#pragma omp simd
    for (int64_t s = 0; s < S; s++) o[s] = apply<op>(x[s], y[s]);
  }
}

// binary(op, a, aFull, b, bFull, P, Q, S, out): Add, Sub, Mul or Div (op 0..3) of two float32
// tensors whose broadcast axes, if any, sit together (see src/kernels/support/broadcast.ts).
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int64_t op = integer(info[0], "op");
  const bool aFull = info[2].ToBoolean().Value(), bFull = info[4].ToBoolean().Value();
  const int64_t P = integer(info[5], "P"), Q = integer(info[6], "Q"), S = integer(info[7], "S");
  const float* a = floats(info[1], (aFull ? Q : 1) * P * S, "a");
  const float* b = floats(info[3], (bFull ? Q : 1) * P * S, "b");
  float* out = floats(info[8], P * Q * S, "out");
  switch (static_cast<BinaryOp>(op)) {
    case BinaryOp::kAdd: binaryRows<BinaryOp::kAdd>(a, aFull, b, bFull, P, Q, S, out); break;
    case BinaryOp::kSub: binaryRows<BinaryOp::kSub>(a, aFull, b, bFull, P, Q, S, out); break;
    case BinaryOp::kMul: binaryRows<BinaryOp::kMul>(a, aFull, b, bFull, P, Q, S, out); break;
    case BinaryOp::kDiv: binaryRows<BinaryOp::kDiv>(a, aFull, b, bFull, P, Q, S, out); break;
    default: throw Napi::RangeError::New(info.Env(), "binary: op must be 0 (add), 1 (sub), 2 (mul) or 3 (div)");
  }
  return info.Env().Undefined();
}

// broadcast(x, P, Q, S, out): out[p, q, s] = x[p, s] (tfjs's Tile of size-1 axes that sit together:
// broadcastTo, as the gradient of a mean). wasm's Tile computes indices per element on one thread.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  const int64_t P = integer(info[1], "P"), Q = integer(info[2], "Q"), S = integer(info[3], "S");
  const float* x = floats(info[0], P * S, "x");
  float* out = floats(info[4], P * Q * S, "out");
#pragma omp parallel for if (P * Q * S * 4 > kParallelBytes)
  for (int64_t row = 0; row < P * Q; row++) std::memcpy(out + row * S, x + (row / Q) * S, S * sizeof(float));
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

// addN(inputs, out): out = Σ inputs, elementwise, in one pass (the gradient of a tensor that several
// layers read: MSRM's depthwise output feeds four convolutions).
Napi::Value AddN(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "addN: an array of inputs expected");
  Napi::Array list = info[0].As<Napi::Array>();
  Napi::TypedArrayOf<float> outArray = info[1].As<Napi::TypedArrayOf<float>>();
  const int64_t n = static_cast<int64_t>(outArray.ElementLength());
  float* out = floats(info[1], n, "out");
  std::vector<const float*> in;
  for (uint32_t i = 0; i < list.Length(); i++) in.push_back(floats(list.Get(i), n, "input"));
  if (in.empty()) throw Napi::RangeError::New(info.Env(), "addN: no inputs");
  const int64_t k = static_cast<int64_t>(in.size());
  inBlocks(n, [&](int64_t b0, int64_t b1) {  // a block of every input stays in cache while it is summed
    if (k == 1) {
      std::memcpy(out + b0, in[0] + b0, (b1 - b0) * sizeof(float));
      return;
    }
    const float *x0 = in[0], *x1 = in[1];
#pragma omp simd
    for (int64_t i = b0; i < b1; i++) out[i] = x0[i] + x1[i];
    for (int64_t j = 2; j < k; j++) {
      const float* x = in[j];
#pragma omp simd
      for (int64_t i = b0; i < b1; i++) out[i] += x[i];
    }
  });
  return info.Env().Undefined();
}

struct Part {
  uint8_t* data;
  int64_t rowBytes;
};

std::vector<Part> parts(const Napi::Value& list, const Napi::Value& widths, int64_t rows, const char* what) {
  if (!list.IsArray() || !widths.IsArray()) throw Napi::TypeError::New(list.Env(), std::string(what) + ": arrays expected");
  Napi::Array a = list.As<Napi::Array>(), w = widths.As<Napi::Array>();
  if (a.Length() != w.Length()) throw Napi::RangeError::New(list.Env(), std::string(what) + ": one row width per part");
  std::vector<Part> out;
  for (uint32_t i = 0; i < a.Length(); i++) {
    const int64_t rowBytes = integer(w.Get(i), "row width");
    out.push_back({bytes(a.Get(i), rows * rowBytes, what), rowBytes});
  }
  return out;
}

int64_t totalRowBytes(const std::vector<Part>& ps) {
  int64_t total = 0;
  for (const Part& p : ps) total += p.rowBytes;
  return total;
}

// concatRows(parts, rowBytes, rows, out): row r of out is row r of every part, one after another.
// A concat along axis k is this with rows = the product of the sizes before k.
Napi::Value ConcatRows(const Napi::CallbackInfo& info) {
  const int64_t rows = integer(info[2], "rows");
  const std::vector<Part> ps = parts(info[0], info[1], rows, "parts");
  const int64_t total = totalRowBytes(ps);
  uint8_t* out = bytes(info[3], rows * total, "out");
#pragma omp parallel for if (rows * total > kParallelBytes)
  for (int64_t r = 0; r < rows; r++) {
    uint8_t* to = out + r * total;
    for (const Part& p : ps) {
      std::memcpy(to, p.data + r * p.rowBytes, p.rowBytes);
      to += p.rowBytes;
    }
  }
  return info.Env().Undefined();
}

// splitRows(x, rows, rowBytes, outs): the inverse of concatRows.
Napi::Value SplitRows(const Napi::CallbackInfo& info) {
  const int64_t rows = integer(info[1], "rows");
  const std::vector<Part> ps = parts(info[3], info[2], rows, "outs");
  const int64_t total = totalRowBytes(ps);
  const uint8_t* x = bytes(info[0], rows * total, "x");
#pragma omp parallel for if (rows * total > kParallelBytes)
  for (int64_t r = 0; r < rows; r++) {
    const uint8_t* from = x + r * total;
    for (const Part& p : ps) {
      std::memcpy(p.data + r * p.rowBytes, from, p.rowBytes);
      from += p.rowBytes;
    }
  }
  return info.Env().Undefined();
}

// tanh(x, out): elementwise, on all cores (wasm's runs libm's tanh on one thread: MAXIM's GELUs
// spent ~18% of its time there).
Napi::Value Tanh(const Napi::CallbackInfo& info) {
  const int64_t n = info[0].As<Napi::Float32Array>().ElementLength();
  const float* x = floats(info[0], n, "x");
  float* out = floats(info[1], n, "out");
#pragma omp parallel for simd if (n * 4 > kParallelBytes)
  for (int64_t i = 0; i < n; i++) out[i] = std::tanh(x[i]);
  return info.Env().Undefined();
}

}  // namespace

void RegisterHeapOps(Napi::Env env, Napi::Object exports) {
  exports.Set("sumAxes", Napi::Function::New(env, SumAxes));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("concatRows", Napi::Function::New(env, ConcatRows));
  exports.Set("splitRows", Napi::Function::New(env, SplitRows));
  exports.Set("tanh", Napi::Function::New(env, Tanh));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("mulSum", Napi::Function::New(env, MulSum));
  exports.Set("addN", Napi::Function::New(env, AddN));
}

// Elementwise and broadcasting arithmetic for tfjs-backend-wasm on all cores (OpenMP), in place on
// the wasm heap (TypeScript side: src/kernels/support/broadcast.ts and ops/add.ts, sub, multiply,
// real-div, tile, add-n). wasm's broadcasting Add/Mul walk indices per element on one thread.
#include <omp.h>

#include <algorithm>
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

// out[m, n] = a[m] ∘ b[n] (aAlongRows) or a[n] ∘ b[m]: each operand broadcast along the other's
// axes, as a per-pixel value times per-channel weights ([1, H, W, 1] · [1, 1, 1, C] in MAXIM).
template <BinaryOp op>
void outerRows(const float* a, const float* b, int64_t M, int64_t N, bool aAlongRows, float* out) {
#pragma omp parallel for if (M * N * 4 > kParallelBytes)
  for (int64_t m = 0; m < M; m++) {
    float* o = out + m * N;
    if (aAlongRows) {
      const float x = a[m];
#pragma omp simd
      for (int64_t n = 0; n < N; n++) o[n] = apply<op>(x, b[n]);
    } else {
      const float y = b[m];
#pragma omp simd
      for (int64_t n = 0; n < N; n++) o[n] = apply<op>(a[n], y);
    }
  }
}

// outer(op, a, b, M, N, aAlongRows, out): Add, Sub, Mul or Div (op 0..3) where a varies along the
// output's rows and b along its columns (aAlongRows), or the other way round.
Napi::Value Outer(const Napi::CallbackInfo& info) {
  const int64_t op = integer(info[0], "op");
  const int64_t M = integer(info[3], "M"), N = integer(info[4], "N");
  const bool aAlongRows = info[5].ToBoolean().Value();
  const float* a = floats(info[1], aAlongRows ? M : N, "a");
  const float* b = floats(info[2], aAlongRows ? N : M, "b");
  float* out = floats(info[6], M * N, "out");
  switch (static_cast<BinaryOp>(op)) {
    case BinaryOp::kAdd: outerRows<BinaryOp::kAdd>(a, b, M, N, aAlongRows, out); break;
    case BinaryOp::kSub: outerRows<BinaryOp::kSub>(a, b, M, N, aAlongRows, out); break;
    case BinaryOp::kMul: outerRows<BinaryOp::kMul>(a, b, M, N, aAlongRows, out); break;
    case BinaryOp::kDiv: outerRows<BinaryOp::kDiv>(a, b, M, N, aAlongRows, out); break;
    default: throw Napi::RangeError::New(info.Env(), "outer: op must be 0 (add), 1 (sub), 2 (mul) or 3 (div)");
  }
  return info.Env().Undefined();
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

}  // namespace

void RegisterBroadcast(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("outer", Napi::Function::New(env, Outer));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("addN", Napi::Function::New(env, AddN));
}

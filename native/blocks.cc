// Whole-block resampling of NHWC float32 images on OpenMP threads, in place on the wasm heap: the
// network's box downscaling (an average pool whose window equals its stride), its nearest-neighbour
// upscaling by whole factors, and the gradients of both, which are the same two operations the other
// way round. wasm's AvgPool, AvgPoolGrad and ResizeNearestNeighbor run on one thread and index per
// value; see src/kernels/support/blocks.ts and the resampling kernels of src/kernels/ops/ for when they are used.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels.h"

namespace {

struct Blocks {
  int64_t n, h, w, c;  // the small side: one value per block
  int64_t kh, kw;      // the block
  int64_t H, W;        // the large side (at least h·kh × w·kw; rows and columns past the blocks are not in any)
};

// One call's arguments, (x, n, h, w, c, kh, kw, H, W, scale, out) for both functions: x is the small
// side [n, h, w, c] and out the large [n, H, W, c] when `fromSmall`, the other way round when not.
struct BlockCall {
  Blocks b;
  float scale;
  const float* x;
  float* out;
};

BlockCall blockCall(const Napi::CallbackInfo& info, bool fromSmall) {
  Blocks b{integer(info[1], "n"), integer(info[2], "h"),  integer(info[3], "w"), integer(info[4], "c"),
           integer(info[5], "kh"), integer(info[6], "kw"), integer(info[7], "H"), integer(info[8], "W")};
  if (b.n < 0 || b.h < 0 || b.w < 0 || b.c < 0 || b.kh < 1 || b.kw < 1 || b.H < b.h * b.kh || b.W < b.w * b.kw) {
    throw Napi::RangeError::New(info.Env(), "blocks: sizes must be non-negative, blocks at least 1 × 1 and inside the large side");
  }
  if (!info[9].IsNumber()) throw Napi::TypeError::New(info.Env(), "blocks: scale must be a number");
  const int64_t small = b.n * b.h * b.w * b.c, large = b.n * b.H * b.W * b.c;
  return {b, static_cast<float>(info[9].As<Napi::Number>().DoubleValue()), floats(info[0], fromSmall ? small : large, "x"),
          floats(info[10], fromSmall ? large : small, "out")};
}

// blockSum(x, n, h, w, c, kh, kw, H, W, scale, out): out[n, i, j, :] = scale · Σ x over the block
// [i·kh, (i+1)·kh) × [j·kw, (j+1)·kw); x is [n, H, W, c], out [n, h, w, c].
Napi::Value BlockSum(const Napi::CallbackInfo& info) {
  const auto [b, scale, x, out] = blockCall(info, false);
  const int64_t rowOut = b.w * b.c;
#pragma omp parallel for if (b.n * b.h * rowOut * 4 > kParallelBytes)
  for (int64_t row = 0; row < b.n * b.h; row++) {
    const int64_t n = row / b.h, i = row % b.h;
    float* o = out + row * rowOut;
    std::fill(o, o + rowOut, 0.f);
    for (int64_t dy = 0; dy < b.kh; dy++) {
      const float* in = x + ((n * b.H + i * b.kh + dy) * b.W) * b.c;
      for (int64_t j = 0; j < b.w; j++) {
        float* oj = o + j * b.c;
        for (int64_t dx = 0; dx < b.kw; dx++) {
          const float* v = in + (j * b.kw + dx) * b.c;
#pragma omp simd
          for (int64_t k = 0; k < b.c; k++) oj[k] += v[k];
        }
      }
    }
    if (scale != 1.f) {
#pragma omp simd
      for (int64_t k = 0; k < rowOut; k++) o[k] *= scale;
    }
  }
  return info.Env().Undefined();
}

// blockSpread(x, n, h, w, c, kh, kw, H, W, scale, out): out[n, y, z, :] = scale · x[n, y / kh, z / kw, :]
// inside the blocks, 0 past them; x is [n, h, w, c], out [n, H, W, c].
Napi::Value BlockSpread(const Napi::CallbackInfo& info) {
  const auto [b, scale, x, out] = blockCall(info, true);
  const int64_t rowOut = b.W * b.c;
#pragma omp parallel for if (b.n * b.H * rowOut * 4 > kParallelBytes)
  for (int64_t row = 0; row < b.n * b.H; row++) {
    const int64_t n = row / b.H, y = row % b.H;
    float* o = out + row * rowOut;
    if (y >= b.h * b.kh) {
      std::fill(o, o + rowOut, 0.f);
      continue;
    }
    const float* in = x + ((n * b.h + y / b.kh) * b.w) * b.c;
    for (int64_t z = 0; z < b.w * b.kw; z++) {
      const float* v = in + (z / b.kw) * b.c;
      float* oz = o + z * b.c;
      if (scale == 1.f) {
        std::memcpy(oz, v, b.c * sizeof(float));
      } else {
#pragma omp simd
        for (int64_t k = 0; k < b.c; k++) oz[k] = scale * v[k];
      }
    }
    std::fill(o + b.w * b.kw * b.c, o + rowOut, 0.f);
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterBlocks(Napi::Env env, Napi::Object exports) {
  exports.Set("blockSum", Napi::Function::New(env, BlockSum));
  exports.Set("blockSpread", Napi::Function::New(env, BlockSpread));
}

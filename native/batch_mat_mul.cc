// Batched matrix products for tfjs-backend-wasm on oneDNN's matmul, on all cores, in place on the
// wasm heap. wasm's BatchMatMul runs on one thread; the FFT loss's DFT is a handful of large
// products (e.g. 1560 × 128 by 128 × 128 at 128² crops) that took 10 ms each there.
#include <dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <string>
#include <unordered_map>

#include "kernels.h"
#include "onednn.h"

namespace {

using dnnl::memory;
using dt = dnnl::memory::data_type;

struct Product {
  dnnl::matmul primitive;
  memory::desc a, b, c;
};

// A row-major [batch, rows, cols] matrix, read transposed (as [batch, cols, rows]) when asked.
memory::desc matrix(memory::dim batch, memory::dim rows, memory::dim cols, bool transposed) {
  if (!transposed) return memory::desc({batch, rows, cols}, dt::f32, memory::dims{rows * cols, cols, 1});
  return memory::desc({batch, cols, rows}, dt::f32, memory::dims{rows * cols, 1, cols});
}

// Made once per shape and kept (creating the primitive costs more than a small product).
Product& product(memory::dim batchA, memory::dim batchB, memory::dim m, memory::dim k, memory::dim n, bool tA, bool tB) {
  static std::unordered_map<std::string, Product> products;
  std::string key = std::to_string(omp_get_max_threads()) + "t";  // as the convolutions' plans (onednn_conv.cc)
  for (memory::dim v : {batchA, batchB, m, k, n, memory::dim(tA), memory::dim(tB)}) key += std::to_string(v) + ":";
  auto found = products.find(key);
  if (found != products.end()) return found->second;
  if (products.size() >= 256) products.clear();
  // a is stored [batchA, m, k] (or [batchA, k, m] when tA), b [batchB, k, n] (or [batchB, n, k]).
  memory::desc a = tA ? matrix(batchA, k, m, true) : matrix(batchA, m, k, false);
  memory::desc b = tB ? matrix(batchB, n, k, true) : matrix(batchB, k, n, false);
  memory::desc c({std::max(batchA, batchB), m, n}, dt::f32, memory::dims{m * n, n, 1});
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), cpu());
  return products.emplace(key, Product{dnnl::matmul(pd), a, b, c}).first->second;
}

// batchMatMul(a, b, out, batchA, batchB, m, k, n, transposeA, transposeB): out[i] = op(a[i]) · op(b[i]),
// where a batch of 1 is used for every i.
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  const int64_t batchA = integer(info[3], "batchA"), batchB = integer(info[4], "batchB");
  const int64_t m = integer(info[5], "m"), k = integer(info[6], "k"), n = integer(info[7], "n");
  const bool tA = info[8].ToBoolean().Value(), tB = info[9].ToBoolean().Value();
  if (batchA != batchB && batchA != 1 && batchB != 1) throw Napi::RangeError::New(info.Env(), "batches must match or be 1");
  Product& p = product(batchA, batchB, m, k, n, tA, tB);
  const int64_t batch = std::max(batchA, batchB);
  memory a(p.a, cpu(), floats(info[0], batchA * m * k, "a"));
  memory b(p.b, cpu(), floats(info[1], batchB * k * n, "b"));
  memory c(p.c, cpu(), floats(info[2], batch * m * n, "out"));
  p.primitive.execute(queue(), {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
  queue().wait();
  return info.Env().Undefined();
}

}  // namespace

void RegisterMatmul(Napi::Env env, Napi::Object exports) {
  exports.Set("batchMatMul", Napi::Function::New(env, BatchMatMul));
}

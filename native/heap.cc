// Concat and split as row copies for tfjs-backend-wasm on all cores (OpenMP), in place on the wasm
// heap (TypeScript side: src/kernels/support/heap.ts, ops/concat.ts, ops/split-v.ts): the MSRM split
// and concat and their gradients copy short runs of channels per pixel.
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"

namespace {

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

}  // namespace

void RegisterHeapCopies(Napi::Env env, Napi::Object exports) {
  exports.Set("concatRows", Napi::Function::New(env, ConcatRows));
  exports.Set("splitRows", Napi::Function::New(env, SplitRows));
}

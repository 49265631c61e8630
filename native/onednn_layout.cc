// Strided copies, tanh and GELU for tfjs-backend-wasm computed by oneDNN (Debian's libdnnl), in place on
// the wasm heap: a transpose or a strided slice is a reorder from a strided view to a dense tensor,
// and tanh and GELU are oneDNN's vectorised eltwise primitive. wasm runs them on one thread with scalar code
// (libm's tanh per element; an index walk per element for transposes and masked strided slices):
// MAXIM's GELUs, its block/grid partitions and its channel splits spent ~45% of its time there.
#include <dnnl.hpp>

#include <string>
#include <vector>

#include "kernels.h"
#include "onednn.h"

namespace {

using dnnl::memory;
using dt = dnnl::memory::data_type;

std::vector<memory::dim> dims(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<memory::dim> r(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) r[i] = integer(a.Get(i), what);
  return r;
}

// out = f(x) elementwise by oneDNN's eltwise primitive (x and out: Float32Arrays of one length).
Napi::Value Eltwise(const Napi::CallbackInfo& info, dnnl::algorithm f) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "x must be a Float32Array");
  const int64_t n = info[0].As<Napi::TypedArray>().ElementLength();
  float* x = floats(info[0], n, "x");
  float* out = floats(info[1], n, "out");
  if (n == 0) return info.Env().Undefined();
  memory::desc d({n}, dt::f32, memory::format_tag::a);
  dnnl::eltwise_forward::primitive_desc pd(dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, f, d, 0.f, 0.f), cpu());
  dnnl::eltwise_forward(pd).execute(queue(), {{DNNL_ARG_SRC, memory(d, cpu(), x)}, {DNNL_ARG_DST, memory(d, cpu(), out)}});
  queue().wait();
  return info.Env().Undefined();
}

// tanh(x, out).
Napi::Value Tanh(const Napi::CallbackInfo& info) { return Eltwise(info, dnnl::algorithm::eltwise_tanh); }

// gelu(x, out): GELU's tanh form, 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))); MAXIM's graph spells it
// as nine elementwise kernels.
Napi::Value Gelu(const Napi::CallbackInfo& info) { return Eltwise(info, dnnl::algorithm::eltwise_gelu_tanh); }

// copyView(x, offset, dims, strides, out): out, dense with dims, = the view of x that starts at
// element `offset` and steps strides[i] elements along axis i (strides ≥ 0): a transpose (x's
// strides permuted) or a strided slice (offset at its begin, strides times its steps). Float32
// (any 4-byte values: a reorder between equal types copies bits).
Napi::Value CopyView(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "x must be a Float32Array");
  const int64_t length = info[0].As<Napi::TypedArray>().ElementLength();
  float* x = floats(info[0], length, "x");
  const int64_t offset = integer(info[1], "offset");
  const std::vector<memory::dim> outDims = dims(info[2], "dims");
  const std::vector<memory::dim> viewStrides = dims(info[3], "strides");
  const size_t nd = outDims.size();
  if (viewStrides.size() != nd || nd == 0 || nd > DNNL_MAX_NDIMS) throw Napi::RangeError::New(info.Env(), "copyView: dims and strides must have the same 1 to 12 axes");
  memory::dim n = 1, last = offset;
  for (size_t i = 0; i < nd; i++) {
    if (outDims[i] < 0 || viewStrides[i] < 0) throw Napi::RangeError::New(info.Env(), "copyView: dims and strides must not be negative");
    n *= outDims[i];
    if (outDims[i] > 0) last += (outDims[i] - 1) * viewStrides[i];
  }
  float* out = floats(info[4], n, "out");
  if (n == 0) return info.Env().Undefined();
  if (offset < 0 || last >= length) throw Napi::RangeError::New(info.Env(), "copyView: the view reaches past x");
  std::vector<memory::dim> denseStrides(nd);
  for (size_t i = nd, s = 1; i-- > 0; s *= outDims[i]) denseStrides[i] = s;
  memory src(memory::desc(outDims, dt::f32, viewStrides), cpu(), x + offset);
  memory dst(memory::desc(outDims, dt::f32, denseStrides), cpu(), out);
  dnnl::reorder(src, dst).execute(queue(), src, dst);
  queue().wait();
  return info.Env().Undefined();
}

}  // namespace

void RegisterLayout(Napi::Env env, Napi::Object exports) {
  exports.Set("tanh", Napi::Function::New(env, Tanh));
  exports.Set("gelu", Napi::Function::New(env, Gelu));
  exports.Set("copyView", Napi::Function::New(env, CopyView));
}

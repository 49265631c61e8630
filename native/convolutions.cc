// Convolutions for tfjs-backend-wasm computed by oneDNN (Debian's libdnnl), in place on the wasm heap.
//
// Every function takes Float32Array views of the wasm heap (inputs and an output the caller has
// already allocated) and a geometry object; it wraps the views as oneDNN memory without copying,
// runs one primitive on oneDNN's OpenMP threads and returns. Activations are NHWC (tfjs's layout);
// filters are tfjs's [kh, kw, inC, outC] (oneDNN's hwio), and for depthwise convs [kh, kw, C, M]
// (oneDNN's hwigo with g = C, i = 1, o = M, the channel multiplier). oneDNN picks its own filter
// layout; the filter is reordered to and from it, which costs little (filters are small).
#include "kernels.h"

#include <dnnl.hpp>

#include <string>
#include <unordered_map>
#include <vector>

namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& cpu() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& queue() {
  static dnnl::stream s(cpu());
  return s;
}

struct Geometry {
  memory::dim n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  bool depthwise;
};

memory::dim dim(const Napi::Object& g, const char* key) {
  Napi::Value v = g.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(g.Env(), std::string("geometry.") + key + " must be a number");
  return v.As<Napi::Number>().Int64Value();
}

Geometry geometry(const Napi::Value& v) {
  if (!v.IsObject()) throw Napi::TypeError::New(v.Env(), "geometry must be an object");
  Napi::Object g = v.As<Napi::Object>();
  Geometry r{dim(g, "n"),  dim(g, "ih"), dim(g, "iw"), dim(g, "ic"), dim(g, "oh"), dim(g, "ow"),
             dim(g, "oc"), dim(g, "kh"), dim(g, "kw"), dim(g, "sh"), dim(g, "sw"), dim(g, "dh"),
             dim(g, "dw"), dim(g, "pt"), dim(g, "pl"), dim(g, "pb"), dim(g, "pr"), false};
  r.depthwise = g.Get("depthwise").ToBoolean().Value();
  return r;
}

struct Descs {
  memory::desc src, weights, weightsAny, dst;
  memory::dims strides, dilates, padL, padR;
};

Descs descs(const Geometry& g) {
  // Depthwise: one group per input channel, oc / ic outputs each (tfjs's channel multiplier).
  memory::dims w = g.depthwise ? memory::dims{g.ic, g.oc / g.ic, 1, g.kh, g.kw} : memory::dims{g.oc, g.ic, g.kh, g.kw};
  return {memory::desc({g.n, g.ic, g.ih, g.iw}, dt::f32, tag::nhwc),
          memory::desc(w, dt::f32, g.depthwise ? tag::hwigo : tag::hwio),
          memory::desc(w, dt::f32, tag::any),
          memory::desc({g.n, g.oc, g.oh, g.ow}, dt::f32, tag::nhwc),
          {g.sh, g.sw},
          {g.dh - 1, g.dw - 1},
          {g.pt, g.pl},
          {g.pb, g.pr}};
}

size_t count(const memory::desc& d) { return d.get_size() / sizeof(float); }

dnnl::convolution_forward::primitive_desc forwardPd(const Descs& d, const memory::desc* bias, dnnl::prop_kind kind,
                                                    const dnnl::primitive_attr& attr = dnnl::primitive_attr()) {
  auto desc = bias != nullptr
                  ? dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, d.src, d.weightsAny, *bias,
                                                    d.dst, d.strides, d.dilates, d.padL, d.padR)
                  : dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, d.src, d.weightsAny,
                                                    d.dst, d.strides, d.dilates, d.padL, d.padR);
  return dnnl::convolution_forward::primitive_desc(desc, attr, cpu());
}

// The user's filter in the layout the primitive wants (a reorder only when they differ).
memory filterFor(const memory::desc& wanted, memory user) {
  if (wanted == user.get_desc()) return user;
  memory m(wanted, cpu());
  dnnl::reorder(user, m).execute(queue(), user, m);
  return m;
}

// forward(x, filter, bias | null, out, geometry, relu): out = [relu](conv(x, filter) + bias)
Napi::Value Forward(const Napi::CallbackInfo& info) {
  Geometry g = geometry(info[4]);
  Descs d = descs(g);
  bool hasBias = !info[2].IsNull() && !info[2].IsUndefined();
  memory::desc biasDesc({g.oc}, dt::f32, tag::a);
  dnnl::primitive_attr attr;
  if (info[5].ToBoolean().Value()) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  auto pd = forwardPd(d, hasBias ? &biasDesc : nullptr, dnnl::prop_kind::forward_inference, attr);
  memory src(d.src, cpu(), floats(info[0], count(d.src), "x"));
  memory filter(d.weights, cpu(), floats(info[1], count(d.weights), "filter"));
  memory dst(d.dst, cpu(), floats(info[3], count(d.dst), "out"));
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, filterFor(pd.weights_desc(), filter)}, {DNNL_ARG_DST, dst}};
  if (hasBias) args.insert({DNNL_ARG_BIAS, memory(biasDesc, cpu(), floats(info[2], g.oc, "bias"))});
  dnnl::convolution_forward(pd).execute(queue(), args);
  queue().wait();
  return Napi::String::New(info.Env(), pd.impl_info_str());
}

// backwardData(dy, filter, dx, geometry): dx = the gradient of conv(x, filter) with respect to x
Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  Geometry g = geometry(info[3]);
  Descs d = descs(g);
  auto hint = forwardPd(d, nullptr, dnnl::prop_kind::forward_training);
  dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, d.dst, d.strides,
                                             d.dilates, d.padL, d.padR);
  dnnl::convolution_backward_data::primitive_desc pd(desc, cpu(), hint);
  memory diffDst(d.dst, cpu(), floats(info[0], count(d.dst), "dy"));
  memory filter(d.weights, cpu(), floats(info[1], count(d.weights), "filter"));
  memory diffSrc(d.src, cpu(), floats(info[2], count(d.src), "dx"));
  dnnl::convolution_backward_data(pd).execute(
      queue(), {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, filterFor(pd.weights_desc(), filter)}, {DNNL_ARG_DIFF_SRC, diffSrc}});
  queue().wait();
  return Napi::String::New(info.Env(), pd.impl_info_str());
}

// backwardWeights(x, dy, dw, geometry): dw = the gradient of conv(x, filter) with respect to filter
Napi::Value BackwardWeights(const Napi::CallbackInfo& info) {
  Geometry g = geometry(info[3]);
  Descs d = descs(g);
  auto hint = forwardPd(d, nullptr, dnnl::prop_kind::forward_training);
  dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, d.dst,
                                                d.strides, d.dilates, d.padL, d.padR);
  dnnl::convolution_backward_weights::primitive_desc pd(desc, cpu(), hint);
  memory src(d.src, cpu(), floats(info[0], count(d.src), "x"));
  memory diffDst(d.dst, cpu(), floats(info[1], count(d.dst), "dy"));
  memory user(d.weights, cpu(), floats(info[2], count(d.weights), "dw"));
  bool direct = pd.diff_weights_desc() == d.weights;
  memory diffWeights = direct ? user : memory(pd.diff_weights_desc(), cpu());
  dnnl::convolution_backward_weights(pd).execute(queue(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffWeights}});
  if (!direct) dnnl::reorder(diffWeights, user).execute(queue(), diffWeights, user);
  queue().wait();
  return Napi::String::New(info.Env(), pd.impl_info_str());
}

// The gradient a ReLU passes on: dy where the ReLU's output is positive, 0 where it is not, NaN where
// it is NaN (as tfjs's dy · step(y)). Into a buffer kept between calls: a fresh one of a few MiB per
// call would be page-faulted in every time.
const float* reluMasked(const float* dy, const float* y, size_t n) {
  static std::vector<float> scratch;
  if (scratch.size() < n) scratch.resize(n);
  float* m = scratch.data();
  // Both loads unconditional and both arms plain values, so that the compiler can vectorise it as a
  // select: the branchy form mispredicted on every other pixel (2.6 ms against 0.2 ms at 2 Mi floats).
#pragma omp parallel for schedule(static) if (n > 16384)
  for (size_t i = 0; i < n; i++) {
    const float d = dy[i], v = y[i];
    const float rest = v != v ? v : 0.f;
    m[i] = v > 0.f ? d : rest;
  }
  return m;
}

// backward(x, filter, y | null, dy, dx | null, dw, db, geometry): every gradient of
// out = [relu](conv(x, filter) + bias) in one call. With y (the forward's output) the ReLU's mask
// is applied to dy first; dw and db come from one backward-weights primitive (oneDNN sums the bias
// gradient while it reads dy for the filter's); dx is skipped when null.
Napi::Value Backward(const Napi::CallbackInfo& info) {
  Geometry g = geometry(info[7]);
  Descs d = descs(g);
  const bool relu = !info[2].IsNull() && !info[2].IsUndefined();
  const bool wantDx = !info[4].IsNull() && !info[4].IsUndefined();
  const size_t n = count(d.dst);
  const float* dyData = floats(info[3], n, "dy");
  const float* grad = relu ? reluMasked(dyData, floats(info[2], n, "y"), n) : dyData;
  memory::desc biasDesc({g.oc}, dt::f32, tag::a);
  auto hint = forwardPd(d, &biasDesc, dnnl::prop_kind::forward_training);
  memory diffDst(d.dst, cpu(), const_cast<float*>(grad));
  std::string impl;
  if (wantDx) {
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, d.dst, d.strides,
                                               d.dilates, d.padL, d.padR);
    dnnl::convolution_backward_data::primitive_desc pd(desc, cpu(), hint);
    memory filter(d.weights, cpu(), floats(info[1], count(d.weights), "filter"));
    memory diffSrc(d.src, cpu(), floats(info[4], count(d.src), "dx"));
    dnnl::convolution_backward_data(pd).execute(
        queue(), {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, filterFor(pd.weights_desc(), filter)}, {DNNL_ARG_DIFF_SRC, diffSrc}});
    impl = std::string(pd.impl_info_str()) + " + ";
  }
  dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, biasDesc, d.dst,
                                                d.strides, d.dilates, d.padL, d.padR);
  dnnl::convolution_backward_weights::primitive_desc pd(desc, cpu(), hint);
  memory src(d.src, cpu(), floats(info[0], count(d.src), "x"));
  memory user(d.weights, cpu(), floats(info[5], count(d.weights), "dw"));
  memory diffBias(biasDesc, cpu(), floats(info[6], g.oc, "db"));
  bool direct = pd.diff_weights_desc() == d.weights;
  memory diffWeights = direct ? user : memory(pd.diff_weights_desc(), cpu());
  dnnl::convolution_backward_weights(pd).execute(
      queue(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffWeights}, {DNNL_ARG_DIFF_BIAS, diffBias}});
  if (!direct) dnnl::reorder(diffWeights, user).execute(queue(), diffWeights, user);
  queue().wait();
  return Napi::String::New(info.Env(), impl + pd.impl_info_str());
}

}  // namespace

void RegisterConvolutions(Napi::Env env, Napi::Object exports) {
  exports.Set("convForward", Napi::Function::New(env, Forward));
  exports.Set("convBackwardData", Napi::Function::New(env, BackwardData));
  exports.Set("convBackwardWeights", Napi::Function::New(env, BackwardWeights));
  exports.Set("convBackward", Napi::Function::New(env, Backward));
  exports.Set("onednnVersion", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                const dnnl_version_t* v = dnnl_version();
                return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                                         std::to_string(v->patch));
              }));
}

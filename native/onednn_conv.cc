// Convolutions for tfjs-backend-wasm computed by oneDNN (Debian's libdnnl), in place on the wasm heap.
//
// Every function takes Float32Array views of the wasm heap (inputs and an output the caller has
// already allocated) and a geometry object; it wraps the views as oneDNN memory without copying,
// runs one primitive on oneDNN's OpenMP threads and returns. Activations are NHWC (tfjs's layout);
// filters are tfjs's [kh, kw, inC, outC] (oneDNN's hwio), and for depthwise convs [kh, kw, C, M]
// (oneDNN's hwigo with g = C, i = 1, o = M, the channel multiplier). oneDNN picks its own filter
// layout; the filter is reordered to and from it, which costs little (filters are small).
#include "kernels.h"
#include "onednn.h"

#include <dnnl.hpp>
#include <omp.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

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

// A convolution primitive ready to run, with the reorders between the user's filter layout (hwio)
// and the one the primitive picked. Made once per kind of call and geometry and kept: creating
// oneDNN's primitive descriptors and the filter's reorder each time cost 30–90 µs per call
// (measured on 2 × 2 images), and a training step of `full` makes about a thousand calls.
struct Plan {
  dnnl::primitive primitive;
  std::string impl;
  bool reordered = false;  // the primitive's filter (or filter gradient) layout differs from hwio
  dnnl::reorder toPrimitive, fromPrimitive;
  memory weights;  // the filter (or its gradient) in the primitive's layout, when reordered
};

enum class Kind { kForward, kBackwardData, kBackwardWeights };

// Keyed by the thread count too: oneDNN fixes a primitive's split of the work across threads when
// it is made, so after setThreads a plan made for another count would still run on that many.
// The activation a forward convolution applies to its output as a oneDNN post-op.
struct Activation {
  enum Kind { kLinear, kRelu, kLeakyRelu, kGelu } kind = kLinear;
  float alpha = 0.f;  // the leaky ReLU's slope below 0
};

std::string planKey(Kind kind, const Geometry& g, bool bias, const Activation& a) {
  std::string k = std::to_string(omp_get_max_threads()) + "t" + std::to_string(static_cast<int>(kind)) + (bias ? "b" : "-") +
                  std::to_string(static_cast<int>(a.kind)) + ":" + std::to_string(a.alpha) + (g.depthwise ? "d" : "-");
  for (memory::dim v : {g.n, g.ih, g.iw, g.ic, g.oh, g.ow, g.oc, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.pb, g.pr}) {
    k += ":" + std::to_string(v);
  }
  return k;
}

// The plan's reorders between `user` (hwio) and `wanted` (the primitive's layout), when they differ.
void withWeights(Plan& p, const memory::desc& user, const memory::desc& wanted) {
  if (wanted == user) return;
  p.reordered = true;
  p.weights = memory(wanted, cpu());
  p.toPrimitive = dnnl::reorder(dnnl::reorder::primitive_desc(cpu(), user, cpu(), wanted));
  p.fromPrimitive = dnnl::reorder(dnnl::reorder::primitive_desc(cpu(), wanted, cpu(), user));
}

Plan& plan(Kind kind, const Geometry& g, bool bias, const Activation& activation = Activation()) {
  static std::unordered_map<std::string, Plan> plans;
  std::string key = planKey(kind, g, bias, activation);
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;
  // A training step of `full` uses about 120; many image sizes (tiles, evaluation sets) would add
  // plans without end, so past this many they are all dropped and made again as needed.
  if (plans.size() >= 1024) plans.clear();
  Descs d = descs(g);
  memory::desc biasDesc({g.oc}, dt::f32, tag::a);
  Plan p;
  if (kind == Kind::kForward) {
    dnnl::primitive_attr attr;
    if (activation.kind != Activation::kLinear) {
      // oneDNN's eltwise_relu with a slope α below 0 is the leaky ReLU (α = 0: the ReLU).
      dnnl::post_ops ops;
      if (activation.kind == Activation::kGelu) {
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_tanh, 0.f, 0.f);
      } else {
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, activation.kind == Activation::kLeakyRelu ? activation.alpha : 0.f, 0.f);
      }
      attr.set_post_ops(ops);
    }
    auto pd = forwardPd(d, bias ? &biasDesc : nullptr, dnnl::prop_kind::forward_inference, attr);
    p.primitive = dnnl::convolution_forward(pd);
    p.impl = pd.impl_info_str();
    withWeights(p, d.weights, pd.weights_desc());
  } else if (kind == Kind::kBackwardData) {
    auto hint = forwardPd(d, nullptr, dnnl::prop_kind::forward_training);
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, d.dst, d.strides,
                                               d.dilates, d.padL, d.padR);
    dnnl::convolution_backward_data::primitive_desc pd(desc, cpu(), hint);
    p.primitive = dnnl::convolution_backward_data(pd);
    p.impl = pd.impl_info_str();
    withWeights(p, d.weights, pd.weights_desc());
  } else {
    auto hint = forwardPd(d, bias ? &biasDesc : nullptr, dnnl::prop_kind::forward_training);
    auto desc = bias ? dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, biasDesc,
                                                                d.dst, d.strides, d.dilates, d.padL, d.padR)
                     : dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, d.dst,
                                                                d.strides, d.dilates, d.padL, d.padR);
    dnnl::convolution_backward_weights::primitive_desc pd(desc, cpu(), hint);
    p.primitive = dnnl::convolution_backward_weights(pd);
    p.impl = pd.impl_info_str();
    withWeights(p, d.weights, pd.diff_weights_desc());
  }
  return plans.emplace(key, std::move(p)).first->second;
}

// Runs a forward or backward-data plan: the user's filter, reordered into the plan's when needed.
void runWithFilter(Plan& p, memory filter, std::unordered_map<int, memory> args) {
  if (p.reordered) p.toPrimitive.execute(queue(), {{DNNL_ARG_FROM, filter}, {DNNL_ARG_TO, p.weights}});
  args.insert({DNNL_ARG_WEIGHTS, p.reordered ? p.weights : filter});
  p.primitive.execute(queue(), args);
}

// Runs a backward-weights plan into the user's dw (and db), reordered out of the plan's layout when needed.
void runIntoFilterGradient(Plan& p, memory dw, std::unordered_map<int, memory> args) {
  args.insert({DNNL_ARG_DIFF_WEIGHTS, p.reordered ? p.weights : dw});
  p.primitive.execute(queue(), args);
  if (p.reordered) p.fromPrimitive.execute(queue(), {{DNNL_ARG_FROM, p.weights}, {DNNL_ARG_TO, dw}});
}

// The activation argument: 'linear', 'relu', 'leakyrelu' (slope `alpha`) or 'gelu' (tanh form).
Activation activation(const Napi::Value& name, const Napi::Value& alpha) {
  if (!name.IsString()) throw Napi::TypeError::New(name.Env(), "activation must be a string");
  const std::string n = name.As<Napi::String>().Utf8Value();
  Activation a;
  if (n == "linear") return a;
  if (n == "relu") a.kind = Activation::kRelu;
  else if (n == "gelu") a.kind = Activation::kGelu;
  else if (n == "leakyrelu") {
    if (!alpha.IsNumber()) throw Napi::TypeError::New(name.Env(), "leakyrelu needs alpha, a number");
    a.kind = Activation::kLeakyRelu;
    a.alpha = alpha.As<Napi::Number>().FloatValue();
  } else {
    throw Napi::RangeError::New(name.Env(), "activation must be linear, relu, leakyrelu or gelu (got " + n + ")");
  }
  return a;
}

// forward(x, filter, bias | null, out, geometry, activation, alpha): out = activation(conv(x, filter) + bias)
Napi::Value Forward(const Napi::CallbackInfo& info) {
  Geometry g = geometry(info[4]);
  Descs d = descs(g);
  const bool hasBias = !info[2].IsNull() && !info[2].IsUndefined();
  Plan& p = plan(Kind::kForward, g, hasBias, activation(info[5], info[6]));
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(d.src, cpu(), floats(info[0], count(d.src), "x"))},
                                       {DNNL_ARG_DST, memory(d.dst, cpu(), floats(info[3], count(d.dst), "out"))}};
  if (hasBias) args.insert({DNNL_ARG_BIAS, memory(memory::desc({g.oc}, dt::f32, tag::a), cpu(), floats(info[2], g.oc, "bias"))});
  runWithFilter(p, memory(d.weights, cpu(), floats(info[1], count(d.weights), "filter")), args);
  queue().wait();
  return Napi::String::New(info.Env(), p.impl);
}

// backwardData(dy, filter, dx, geometry): dx = the gradient of conv(x, filter) with respect to x
Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  Geometry g = geometry(info[3]);
  Descs d = descs(g);
  Plan& p = plan(Kind::kBackwardData, g, false);
  runWithFilter(p, memory(d.weights, cpu(), floats(info[1], count(d.weights), "filter")),
                {{DNNL_ARG_DIFF_DST, memory(d.dst, cpu(), floats(info[0], count(d.dst), "dy"))},
                 {DNNL_ARG_DIFF_SRC, memory(d.src, cpu(), floats(info[2], count(d.src), "dx"))}});
  queue().wait();
  return Napi::String::New(info.Env(), p.impl);
}

// backwardWeights(x, dy, dw, geometry): dw = the gradient of conv(x, filter) with respect to filter
Napi::Value BackwardWeights(const Napi::CallbackInfo& info) {
  Geometry g = geometry(info[3]);
  Descs d = descs(g);
  Plan& p = plan(Kind::kBackwardWeights, g, false);
  runIntoFilterGradient(p, memory(d.weights, cpu(), floats(info[2], count(d.weights), "dw")),
                        {{DNNL_ARG_SRC, memory(d.src, cpu(), floats(info[0], count(d.src), "x"))},
                         {DNNL_ARG_DIFF_DST, memory(d.dst, cpu(), floats(info[1], count(d.dst), "dy"))}});
  queue().wait();
  return Napi::String::New(info.Env(), p.impl);
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
  memory diffDst(d.dst, cpu(), const_cast<float*>(grad));
  std::string impl;
  if (wantDx) {
    Plan& p = plan(Kind::kBackwardData, g, false);
    runWithFilter(p, memory(d.weights, cpu(), floats(info[1], count(d.weights), "filter")),
                  {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_SRC, memory(d.src, cpu(), floats(info[4], count(d.src), "dx"))}});
    impl = p.impl + " + ";
  }
  Plan& p = plan(Kind::kBackwardWeights, g, true);
  runIntoFilterGradient(p, memory(d.weights, cpu(), floats(info[5], count(d.weights), "dw")),
                        {{DNNL_ARG_SRC, memory(d.src, cpu(), floats(info[0], count(d.src), "x"))},
                         {DNNL_ARG_DIFF_DST, diffDst},
                         {DNNL_ARG_DIFF_BIAS, memory(memory::desc({g.oc}, dt::f32, tag::a), cpu(), floats(info[6], g.oc, "db"))}});
  queue().wait();
  return Napi::String::New(info.Env(), impl + p.impl);
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

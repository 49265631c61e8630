// The native kernels of deblur-lab, registered on one Node-API addon (addon.cc). Each takes typed
// array views of the tfjs wasm heap, inputs and already allocated outputs, and works in place.
#pragma once
#include <napi.h>

#include <array>
#include <string>

// Convolutions on oneDNN (onednn_conv.cc).
void RegisterConvolutions(Napi::Env env, Napi::Object exports);
// Reductions on OpenMP threads (reduction.cc).
void RegisterReductions(Napi::Env env, Napi::Object exports);
// Elementwise and broadcasting arithmetic on OpenMP threads (broadcast.cc).
void RegisterBroadcast(Napi::Env env, Napi::Object exports);
// Concat and split as row copies on OpenMP threads (heap.cc).
void RegisterHeapCopies(Napi::Env env, Napi::Object exports);
// Batched matrix products on oneDNN (batch_mat_mul.cc).
void RegisterMatmul(Napi::Env env, Napi::Object exports);
// Box downscaling, whole-factor nearest upscaling and their gradients (blocks.cc).
void RegisterBlocks(Napi::Env env, Napi::Object exports);
// Strided copies (transposes, strided slices), tanh and GELU on oneDNN (onednn_layout.cc).
void RegisterLayout(Napi::Env env, Napi::Object exports);
// Layer normalisation in one pass (layer_norm.cc).
void RegisterLayerNorm(Napi::Env env, Napi::Object exports);
// Adam and the weight average over every weight in one call (adam_step.cc).
void RegisterOptimizer(Napi::Env env, Napi::Object exports);

// Work below this many bytes stays on one thread: starting the team costs more than it saves.
constexpr int64_t kParallelBytes = 1 << 16;

// The data of a typed array of type T with exactly `elements` elements, or a JS TypeError/RangeError.
template <typename T, napi_typedarray_type kind>
T* viewData(const Napi::Value& v, size_t elements, const char* what, const char* typeName) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != kind) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a " + typeName);
  }
  Napi::TypedArrayOf<T> a = v.As<Napi::TypedArrayOf<T>>();
  if (a.ElementLength() != elements) {
    throw Napi::RangeError::New(v.Env(), std::string(what) + ": expected " + std::to_string(elements) +
                                             " elements, got " + std::to_string(a.ElementLength()));
  }
  return a.Data();
}

inline float* floats(const Napi::Value& v, size_t elements, const char* what) {
  return viewData<float, napi_float32_array>(v, elements, what, "Float32Array");
}

inline uint8_t* bytes(const Napi::Value& v, size_t elements, const char* what) {
  return viewData<uint8_t, napi_uint8_array>(v, elements, what, "Uint8Array");
}

inline int64_t integer(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a number");
  return v.As<Napi::Number>().Int64Value();
}

// The addon's entry point: one module, the kernel families registered on it (see kernels.h).
#include <omp.h>

#include "kernels.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterConvolutions(env, exports);
  RegisterHeapOps(env, exports);
  RegisterMatmul(env, exports);
  RegisterOptimizer(env, exports);
  exports.Set("threads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::Number::New(info.Env(), omp_get_max_threads());
              }));
  // How many threads the kernels use from the next call on (at least 1): fewer while other
  // processes keep cores busy (src/kernels/core-share.ts).
  exports.Set("setThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                const int64_t n = integer(info[0], "threads");
                if (n < 1) throw Napi::RangeError::New(info.Env(), "threads must be at least 1");
                omp_set_num_threads(static_cast<int>(n));
                return info.Env().Undefined();
              }));
  return exports;
}

}  // namespace

NODE_API_MODULE(deblur_native, Init)

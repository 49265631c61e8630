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
  return exports;
}

}  // namespace

NODE_API_MODULE(deblur_native, Init)

// The addon's entry point: one module, the kernel families registered on it (see kernels.h).
#include <omp.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

#include "kernels.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterConvolutions(env, exports);
  RegisterReductions(env, exports);
  RegisterBroadcast(env, exports);
  RegisterHeapCopies(env, exports);
  RegisterMatmul(env, exports);
  RegisterOptimizer(env, exports);
  RegisterBlocks(env, exports);
  RegisterLayout(env, exports);
  RegisterLayerNorm(env, exports);
  exports.Set("threads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::Number::New(info.Env(), omp_get_max_threads());
              }));
  // Asks Linux for 2 MiB pages over [buffer, buffer + bytes): the wasm heap, whose 4 KiB pages
  // cost 10-40 us each at first touch on this kind of VM and a TLB entry each after (see
  // docs/PERFORMANCE.md). The range may run past the buffer into V8's reservation for the heap,
  // so pages the heap grows into later get the advice too. Returns 0, or madvise's errno.
  exports.Set("adviseHugePages", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                if (!info[0].IsArrayBuffer()) throw Napi::TypeError::New(info.Env(), "adviseHugePages: buffer must be an ArrayBuffer");
                auto buffer = info[0].As<Napi::ArrayBuffer>();
                const int64_t bytes = integer(info[1], "bytes");
                const uintptr_t huge = uintptr_t(2) << 20;
                const uintptr_t start = reinterpret_cast<uintptr_t>(buffer.Data());
                const uintptr_t from = (start + huge - 1) & ~(huge - 1);
                const uintptr_t to = (start + static_cast<uintptr_t>(bytes)) & ~(huge - 1);
                const int r = to > from ? madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE) : 0;
                return Napi::Number::New(info.Env(), r == 0 ? 0 : errno);
              }));
  // How many threads the kernels use from the next call on (at least 1): fewer while other
  // processes keep cores busy (src/kernels/native/core-share.ts).
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

// oneDNN's CPU engine and stream, one of each for the whole addon (inline: one instance across files).
#pragma once
#include <dnnl.hpp>

inline dnnl::engine& cpu() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

inline dnnl::stream& queue() {
  static dnnl::stream s(cpu());
  return s;
}

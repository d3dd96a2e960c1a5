// The Node-API binding: converts the JS arguments of the Kernels interface
// (src/backend/kernels.ts) and calls the kernels on the typed arrays' own memory (no copies).
// Arguments are checked for type and for every index the kernel will touch, so a wrong call
// throws a TypeError/RangeError instead of corrupting memory. Node opens a HandleScope around
// each call, and nothing here outlives the call, so 100,000 small calls leave memory flat.
#include <napi.h>

#include <malloc.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fma_peak.h"
#include "gemm.h"
#include "gemm_bf16.h"
#include "kernels.h"
#include "runtime.h"

namespace {

using llm::kMaxRank;

// Collects the first argument error; every getter returns a harmless value after one.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* kernel) : info_(info), kernel_(kernel) {}

  bool ok() const { return error_.empty(); }

  // Throws the collected error into JS; returns env.Undefined() for the caller to return.
  Napi::Value fail() {
    Napi::Env env = info_.Env();
    if (range_)
      Napi::RangeError::New(env, error_).ThrowAsJavaScriptException();
    else
      Napi::TypeError::New(env, error_).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  void error(const std::string& what, bool range = false) {
    if (!error_.empty()) return;
    error_ = std::string(kernel_) + ": " + what;
    range_ = range;
  }

  Napi::Value at(size_t i) const { return info_[i]; }

  // Argument i as a kernel's params object; false, with the error set, when it is not an object.
  bool params(size_t i, Napi::Object* p) {
    if (!info_[i].IsObject()) {
      error("expects a params object");
      return false;
    }
    *p = info_[i].As<Napi::Object>();
    return true;
  }

  float* f32(size_t i, size_t* len) { return typed<float>(info_[i], napi_float32_array, "Float32Array", i, len); }
  int32_t* i32(size_t i, size_t* len) { return typed<int32_t>(info_[i], napi_int32_array, "Int32Array", i, len); }

  // A Float32Array or an Int32Array (fill, copyStrided).
  void* buf32(size_t i, size_t* len, bool* isInt) {
    Napi::Value v = info_[i];
    if (v.IsTypedArray()) {
      napi_typedarray_type t = v.As<Napi::TypedArray>().TypedArrayType();
      if (t == napi_int32_array) {
        *isInt = true;
        return i32(i, len);
      }
    }
    *isInt = false;
    return f32(i, len);
  }

  double num(size_t i) { return number(info_[i], i); }
  long integer(size_t i) { return integer(info_[i], i); }
  bool boolean(size_t i) {
    Napi::Value v = info_[i];
    if (!v.IsBoolean()) {
      error("argument " + std::to_string(i) + " must be a boolean");
      return false;
    }
    return v.As<Napi::Boolean>().Value();
  }

  std::string str(size_t i) {
    Napi::Value v = info_[i];
    if (!v.IsString()) {
      error("argument " + std::to_string(i) + " must be a string");
      return "";
    }
    return v.As<Napi::String>().Utf8Value();
  }

  // A number[] of at most kMaxRank entries; returns its length (the rank).
  int dims(size_t i, long* out) {
    Napi::Value v = info_[i];
    if (!v.IsArray()) {
      error("argument " + std::to_string(i) + " must be an array of integers");
      return 0;
    }
    Napi::Array arr = v.As<Napi::Array>();
    const uint32_t n = arr.Length();
    if (n > static_cast<uint32_t>(kMaxRank)) {
      error("rank " + std::to_string(n) + " is above the supported " + std::to_string(kMaxRank), true);
      return 0;
    }
    for (uint32_t d = 0; d < n; d++) out[d] = integer(arr.Get(d), i);
    return static_cast<int>(n);
  }

  // Reads a number property of a params object.
  double prop(const Napi::Object& o, const char* name, const std::string& owner = "params") {
    Napi::Value v = o.Get(name);
    if (!v.IsNumber()) {
      error(owner + "." + name + " must be a number");
      return 0;
    }
    return v.As<Napi::Number>().DoubleValue();
  }

  // Checks that [lo, hi] (inclusive element indices) lies inside a buffer of length len.
  void within(const char* what, long lo, long hi, size_t len) {
    if (lo < 0 || hi >= static_cast<long>(len))
      error(std::string(what) + " is too short for the sizes and strides given (needs index " +
                std::to_string(lo < 0 ? lo : hi) + ", length " + std::to_string(len) + ")",
            true);
  }

 private:
  template <class T>
  T* typed(Napi::Value v, napi_typedarray_type type, const char* name, size_t i, size_t* len) {
    *len = 0;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
      error("argument " + std::to_string(i) + " must be a " + name);
      return nullptr;
    }
    Napi::TypedArrayOf<T> arr = v.As<Napi::TypedArrayOf<T>>();
    *len = arr.ElementLength();
    return arr.Data();
  }

  double number(Napi::Value v, size_t i) {
    if (!v.IsNumber()) {
      error("argument " + std::to_string(i) + " must be a number");
      return 0;
    }
    return v.As<Napi::Number>().DoubleValue();
  }

  long integer(Napi::Value v, size_t i) {
    double d = number(v, i);
    if (ok() && (d != std::floor(d) || std::fabs(d) > 9.0e15)) error("argument " + std::to_string(i) + " must be an integer");
    return ok() ? static_cast<long>(d) : 0;
  }

  const Napi::CallbackInfo& info_;
  const char* kernel_;
  std::string error_;
  bool range_ = false;
};

// The lowest and highest element offsets a strided walk over `shape` touches from `offset`.
void extent(const long* shape, const long* strides, int rank, long offset, long* lo, long* hi) {
  *lo = *hi = offset;
  for (int d = 0; d < rank; d++) {
    if (shape[d] <= 0) return;
    const long span = (shape[d] - 1) * strides[d];
    if (span < 0)
      *lo += span;
    else
      *hi += span;
  }
}

long product(const long* shape, int rank) {
  long n = 1;
  for (int d = 0; d < rank; d++) n *= shape[d];
  return n;
}

bool anyNegative(const long* shape, int rank) {
  for (int d = 0; d < rank; d++)
    if (shape[d] < 0) return true;
  return false;
}

// Checks a strided operand over `shape`; an empty shape touches nothing.
void checkStrided(Args& a, const char* what, const long* shape, const long* strides, int rank, long offset,
                  size_t len) {
  if (!a.ok() || product(shape, rank) == 0) return;
  long lo, hi;
  extent(shape, strides, rank, offset, &lo, &hi);
  a.within(what, lo, hi, len);
}

// matmul and matmulBf16: the same arguments, checked the same way, for either GEMM; matmul also
// takes B as a Uint16Array of bfloat16 bits (bf16B).
Napi::Value gemmEntry(const Napi::CallbackInfo& info, const char* name, void (*run)(const llm::GemmArgs&),
                      bool bf16B) {
  Args a(info, name);
  Napi::Object p;
  if (!a.params(0, &p)) return a.fail();
  auto arrayProp = [&](const char* name, size_t* len) -> float* {
    Napi::Value v = p.Get(name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      a.error(std::string("params.") + name + " must be a Float32Array");
      *len = 0;
      return nullptr;
    }
    Napi::Float32Array arr = v.As<Napi::Float32Array>();
    *len = arr.ElementLength();
    return arr.Data();
  };
  auto boolProp = [&](const char* name) {
    Napi::Value v = p.Get(name);
    if (!v.IsBoolean()) a.error(std::string("params.") + name + " must be a boolean");
    return v.IsBoolean() && v.As<Napi::Boolean>().Value();
  };
  size_t la, lb, lc;
  llm::GemmArgs g{};
  g.a = arrayProp("a", &la);
  Napi::Value bv = p.Get("b");
  if (bf16B && bv.IsTypedArray() && bv.As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array) {
    Napi::Uint16Array bits = bv.As<Napi::Uint16Array>();
    g.bBf16 = bits.Data();
    lb = bits.ElementLength();
  } else if (bf16B && !(bv.IsTypedArray() && bv.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array)) {
    a.error("params.b must be a Float32Array or a Uint16Array of bf16 bits");
    lb = 0;
  } else {
    g.b = arrayProp("b", &lb);
  }
  g.c = arrayProp("c", &lc);
  g.batch = static_cast<long>(a.prop(p, "batch"));
  g.m = static_cast<long>(a.prop(p, "m"));
  g.k = static_cast<long>(a.prop(p, "k"));
  g.n = static_cast<long>(a.prop(p, "n"));
  g.strideA = static_cast<long>(a.prop(p, "strideA"));
  g.strideB = static_cast<long>(a.prop(p, "strideB"));
  g.strideC = static_cast<long>(a.prop(p, "strideC"));
  g.transA = boolProp("transA");
  g.transB = boolProp("transB");
  g.accumulate = boolProp("accumulate");
  if (a.ok() && (g.batch < 0 || g.m < 0 || g.k < 0 || g.n < 0 || g.strideA < 0 || g.strideB < 0 || g.strideC < 0))
    a.error("sizes and strides must be non-negative", true);
  if (a.ok() && g.batch > 0 && g.m > 0 && g.n > 0) {
    if (g.k > 0) {
      a.within("params.a", 0, (g.batch - 1) * g.strideA + g.m * g.k - 1, la);
      a.within("params.b", 0, (g.batch - 1) * g.strideB + g.k * g.n - 1, lb);
    }
    a.within("params.c", 0, (g.batch - 1) * g.strideC + g.m * g.n - 1, lc);
  }
  // The epilogue, all optional (absent or null: none).
  auto optionalArray = [&](const char* name, size_t* len) -> float* {
    *len = 0;
    Napi::Value v = p.Get(name);
    if (v.IsUndefined() || v.IsNull()) return nullptr;
    return arrayProp(name, len);
  };
  size_t lbias, lpre, lres;
  g.epilogue.bias = optionalArray("bias", &lbias);
  g.epilogue.preact = optionalArray("preact", &lpre);
  g.epilogue.residual = optionalArray("residual", &lres);
  Napi::Value gelu = p.Get("gelu");
  if (!gelu.IsUndefined()) g.epilogue.gelu = boolProp("gelu");
  if (a.ok() && g.epilogue.preact && !g.epilogue.gelu) a.error("params.preact is only written with params.gelu");
  if (a.ok() && g.batch > 0 && g.m > 0 && g.n > 0) {
    const long cLast = (g.batch - 1) * g.strideC + g.m * g.n - 1;
    if (g.epilogue.bias) a.within("params.bias", 0, g.n - 1, lbias);
    if (g.epilogue.preact) a.within("params.preact", 0, cLast, lpre);
    if (g.epilogue.residual) a.within("params.residual", 0, cLast, lres);
    // The tiles of C are final one at a time, so an input read after them must not share C's memory.
    auto overlapsC = [&](const float* q, size_t len) { return q && q < g.c + lc && g.c < q + len; };
    if (a.ok() && (overlapsC(g.epilogue.preact, lpre) || overlapsC(g.epilogue.residual, lres)))
      a.error("params.preact and params.residual must not overlap params.c");
  }
  if (!a.ok()) return a.fail();
  run(g);
  return info.Env().Undefined();
}

Napi::Value Matmul(const Napi::CallbackInfo& info) { return gemmEntry(info, "matmul", llm::gemm, true); }
Napi::Value MatmulBf16(const Napi::CallbackInfo& info) {
  return gemmEntry(info, "matmulBf16", llm::gemmBf16, false);
}

bool parseUnary(const std::string& s, llm::Unary* op) {
  static const char* names[] = {"neg", "exp", "log", "sqrt", "rsqrt", "tanh", "relu", "gelu", "abs", "sign", "silu"};
  for (int i = 0; i < 11; i++)
    if (s == names[i]) {
      *op = static_cast<llm::Unary>(i);
      return true;
    }
  return false;
}

bool parseBinary(const std::string& s, llm::Binary* op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "gt", "ge", "lt"};
  for (int i = 0; i < 11; i++)
    if (s == names[i]) {
      *op = static_cast<llm::Binary>(i);
      return true;
    }
  return false;
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  Args a(info, "unary");
  llm::Unary op{};
  std::string name = a.str(0);
  if (a.ok() && !parseUnary(name, &op)) a.error("unknown unary op '" + name + "'");
  size_t lx, lo;
  const float* x = a.f32(1, &lx);
  float* out = a.f32(2, &lo);
  if (a.ok() && lo < lx) a.error("out is shorter than x", true);
  if (!a.ok()) return a.fail();
  llm::unary(op, x, out, static_cast<long>(lx));
  return info.Env().Undefined();
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  Args a(info, "binary");
  llm::Binary op{};
  std::string name = a.str(0);
  if (a.ok() && !parseBinary(name, &op)) a.error("unknown binary op '" + name + "'");
  long as[kMaxRank], bs[kMaxRank], shape[kMaxRank];
  size_t la, lb, lo;
  const float* x = a.f32(1, &la);
  int ra = a.dims(2, as);
  const float* y = a.f32(3, &lb);
  int rb = a.dims(4, bs);
  float* out = a.f32(5, &lo);
  int rank = a.dims(6, shape);
  if (a.ok() && (ra != rank || rb != rank)) a.error("strides and shape must have the same rank");
  if (a.ok() && anyNegative(shape, rank)) a.error("shape must be non-negative", true);
  checkStrided(a, "a", shape, as, rank, 0, la);
  checkStrided(a, "b", shape, bs, rank, 0, lb);
  if (a.ok() && static_cast<long>(lo) < product(shape, rank)) a.error("out is shorter than the shape", true);
  if (!a.ok()) return a.fail();
  llm::binary(op, x, as, y, bs, out, shape, rank);
  return info.Env().Undefined();
}

Napi::Value Where(const Napi::CallbackInfo& info) {
  Args a(info, "where");
  long cs[kMaxRank], as[kMaxRank], bs[kMaxRank], shape[kMaxRank];
  size_t lc, la, lb, lo;
  const float* c = a.f32(0, &lc);
  int rc = a.dims(1, cs);
  const float* x = a.f32(2, &la);
  int ra = a.dims(3, as);
  const float* y = a.f32(4, &lb);
  int rb = a.dims(5, bs);
  float* out = a.f32(6, &lo);
  int rank = a.dims(7, shape);
  if (a.ok() && (rc != rank || ra != rank || rb != rank)) a.error("strides and shape must have the same rank");
  if (a.ok() && anyNegative(shape, rank)) a.error("shape must be non-negative", true);
  checkStrided(a, "cond", shape, cs, rank, 0, lc);
  checkStrided(a, "a", shape, as, rank, 0, la);
  checkStrided(a, "b", shape, bs, rank, 0, lb);
  if (a.ok() && static_cast<long>(lo) < product(shape, rank)) a.error("out is shorter than the shape", true);
  if (!a.ok()) return a.fail();
  llm::where(c, cs, x, as, y, bs, out, shape, rank);
  return info.Env().Undefined();
}

Napi::Value Affine(const Napi::CallbackInfo& info) {
  Args a(info, "affine");
  size_t lx, lo;
  const float* x = a.f32(0, &lx);
  const double alpha = a.num(1), beta = a.num(2);
  float* out = a.f32(3, &lo);
  if (a.ok() && lo < lx) a.error("out is shorter than x", true);
  if (!a.ok()) return a.fail();
  llm::affine(x, static_cast<float>(alpha), static_cast<float>(beta), out, static_cast<long>(lx));
  return info.Env().Undefined();
}

Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args a(info, "fill");
  size_t len;
  bool isInt;
  void* out = a.buf32(0, &len, &isInt);
  const double value = a.num(1);
  if (!a.ok()) return a.fail();
  uint32_t bits;
  if (isInt) {
    // Int32Array.fill converts with ToInt32: truncation, NaN and infinities to 0, modulo 2^32.
    const double t = std::isfinite(value) ? std::trunc(value) : 0.0;
    const int32_t v = static_cast<int32_t>(static_cast<int64_t>(std::fmod(t, 4294967296.0)));
    std::memcpy(&bits, &v, sizeof(bits));
  } else {
    const float v = static_cast<float>(value);
    std::memcpy(&bits, &v, sizeof(bits));
  }
  llm::fill32(static_cast<uint32_t*>(out), bits, static_cast<long>(len));
  return info.Env().Undefined();
}

Napi::Value CopyStrided(const Napi::CallbackInfo& info) {
  Args a(info, "copyStrided");
  long ss[kMaxRank], ds[kMaxRank], shape[kMaxRank];
  size_t ls, ld;
  bool srcInt, dstInt;
  const void* src = a.buf32(0, &ls, &srcInt);
  const long so = a.integer(1);
  int rs = a.dims(2, ss);
  void* dst = a.buf32(3, &ld, &dstInt);
  const long doff = a.integer(4);
  int rd = a.dims(5, ds);
  int rank = a.dims(6, shape);
  if (a.ok() && (rs != rank || rd != rank)) a.error("strides and shape must have the same rank");
  if (a.ok() && anyNegative(shape, rank)) a.error("shape must be non-negative", true);
  checkStrided(a, "src", shape, ss, rank, so, ls);
  checkStrided(a, "dst", shape, ds, rank, doff, ld);
  if (!a.ok()) return a.fail();
  if (product(shape, rank) == 0) return info.Env().Undefined();
  const char* s = static_cast<const char*>(src) + so * 4;
  char* d = static_cast<char*>(dst) + doff * 4;
  llm::copyStrided(s, srcInt, ss, d, dstInt, ds, shape, rank);
  return info.Env().Undefined();
}

// (outer, size, inner) arguments at positions i, i+1, i+2.
bool osi(Args& a, size_t i, long* outer, long* size, long* inner) {
  *outer = a.integer(i);
  *size = a.integer(i + 1);
  *inner = a.integer(i + 2);
  if (a.ok() && (*outer < 0 || *size < 0 || *inner < 0)) a.error("outer, size and inner must be non-negative", true);
  return a.ok();
}

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Args a(info, "reduce");
  std::string name = a.str(0);
  llm::Reduce op = llm::Reduce::Sum;
  if (name == "max")
    op = llm::Reduce::Max;
  else if (name == "min")
    op = llm::Reduce::Min;
  else if (a.ok() && name != "sum")
    a.error("unknown reduce op '" + name + "'");
  size_t lx, lo;
  const float* x = a.f32(1, &lx);
  long outer, size, inner;
  osi(a, 2, &outer, &size, &inner);
  float* out = a.f32(5, &lo);
  if (a.ok()) a.within("x", 0, outer * size * inner - 1, outer * size * inner == 0 ? 1 : lx);
  if (a.ok()) a.within("out", 0, outer * inner - 1, outer * inner == 0 ? 1 : lo);
  if (!a.ok()) return a.fail();
  llm::reduce(op, x, outer, size, inner, out);
  return info.Env().Undefined();
}

Napi::Value ArgReduce(const Napi::CallbackInfo& info) {
  Args a(info, "argReduce");
  std::string name = a.str(0);
  if (a.ok() && name != "argmax" && name != "argmin") a.error("unknown argReduce op '" + name + "'");
  size_t lx, lo;
  const float* x = a.f32(1, &lx);
  long outer, size, inner;
  osi(a, 2, &outer, &size, &inner);
  int32_t* out = a.i32(5, &lo);
  if (a.ok() && size == 0 && outer * inner > 0) a.error("cannot take an arg-reduction over an empty axis", true);
  if (a.ok()) a.within("x", 0, outer * size * inner - 1, outer * size * inner == 0 ? 1 : lx);
  if (a.ok()) a.within("out", 0, outer * inner - 1, outer * inner == 0 ? 1 : lo);
  if (!a.ok()) return a.fail();
  llm::argReduce(name == "argmax", x, outer, size, inner, out);
  return info.Env().Undefined();
}

// Checks idx values against [0, size): the caller validates, but a bad index here would write
// outside the buffer, so the binding checks again (one pass over the indices).
void checkIndices(Args& a, const int32_t* idx, size_t n, long size) {
  if (!a.ok()) return;
  for (size_t i = 0; i < n; i++)
    if (idx[i] < 0 || idx[i] >= size) {
      a.error("index " + std::to_string(idx[i]) + " out of range [0, " + std::to_string(size) + ")", true);
      return;
    }
}

Napi::Value IndexSelectOrAdd(const Napi::CallbackInfo& info, bool add) {
  Args a(info, add ? "indexAdd" : "indexSelect");
  size_t lx, li, lo;
  const float* x = a.f32(0, &lx);
  long outer, size, inner;
  osi(a, 1, &outer, &size, &inner);
  const int32_t* idx = a.i32(4, &li);
  float* out = a.f32(5, &lo);
  const long count = static_cast<long>(li);
  checkIndices(a, idx, li, size);
  // indexSelect: x (outer, size, inner) -> out (outer, count, inner); indexAdd: dy (outer,
  // count, inner) scattered into dx (outer, size, inner).
  const long big = outer * size * inner, small = outer * count * inner;
  if (a.ok() && big > 0) a.within(add ? "dx" : "x", 0, big - 1, add ? lo : lx);
  if (a.ok() && small > 0) a.within(add ? "dy" : "out", 0, small - 1, add ? lx : lo);
  if (!a.ok()) return a.fail();
  if (add)
    llm::indexAdd(x, outer, size, inner, idx, count, out);
  else
    llm::indexSelect(x, outer, size, inner, idx, count, out);
  return info.Env().Undefined();
}

Napi::Value IndexSelect(const Napi::CallbackInfo& info) { return IndexSelectOrAdd(info, false); }
Napi::Value IndexAdd(const Napi::CallbackInfo& info) { return IndexSelectOrAdd(info, true); }

Napi::Value GatherOrScatter(const Napi::CallbackInfo& info, bool scatter) {
  Args a(info, scatter ? "scatterAdd" : "gather");
  size_t lx, li, lo;
  const float* x = a.f32(0, &lx);
  long outer, size, inner;
  osi(a, 1, &outer, &size, &inner);
  const int32_t* idx = a.i32(4, &li);
  const long idxSize = a.integer(5);
  float* out = a.f32(6, &lo);
  const long big = outer * size * inner, small = outer * idxSize * inner;
  if (a.ok() && idxSize < 0) a.error("idxSize must be non-negative", true);
  if (a.ok() && small > 0) a.within("idx", 0, small - 1, li);
  if (a.ok()) checkIndices(a, idx, static_cast<size_t>(small), size);
  if (a.ok() && small > 0) a.within(scatter ? "dy" : "out", 0, small - 1, scatter ? lx : lo);
  if (a.ok() && small > 0) a.within(scatter ? "dx" : "x", 0, big - 1, scatter ? lo : lx);
  if (!a.ok()) return a.fail();
  if (scatter)
    llm::scatterAdd(x, outer, size, inner, idx, idxSize, out);
  else
    llm::gather(x, outer, size, inner, idx, idxSize, out);
  return info.Env().Undefined();
}

Napi::Value Gather(const Napi::CallbackInfo& info) { return GatherOrScatter(info, false); }
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) { return GatherOrScatter(info, true); }

// rows x cols at positions i, i+1, checked against buffers of the given lengths.
bool rowsCols(Args& a, size_t i, long* rows, long* cols) {
  *rows = a.integer(i);
  *cols = a.integer(i + 1);
  if (a.ok() && (*rows < 0 || *cols < 0)) a.error("rows and cols must be non-negative", true);
  return a.ok();
}

void need(Args& a, const char* what, size_t len, long n) {
  if (a.ok() && n > 0) a.within(what, 0, n - 1, len);
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args a(info, "softmax");
  size_t lx, lo;
  const float* x = a.f32(0, &lx);
  long rows, cols;
  rowsCols(a, 1, &rows, &cols);
  float* out = a.f32(3, &lo);
  const bool log = a.boolean(4);
  need(a, "x", lx, rows * cols);
  need(a, "out", lo, rows * cols);
  if (!a.ok()) return a.fail();
  llm::softmax(x, rows, cols, out, log);
  return info.Env().Undefined();
}

Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxBackward");
  size_t ly, ld, lx;
  const float* y = a.f32(0, &ly);
  const float* dy = a.f32(1, &ld);
  long rows, cols;
  rowsCols(a, 2, &rows, &cols);
  float* dx = a.f32(4, &lx);
  const bool log = a.boolean(5);
  need(a, "y", ly, rows * cols);
  need(a, "dy", ld, rows * cols);
  need(a, "dx", lx, rows * cols);
  if (!a.ok()) return a.fail();
  llm::softmaxBackward(y, dy, rows, cols, dx, log);
  return info.Env().Undefined();
}

Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  Args a(info, "layerNorm");
  size_t lx, lg, lb, lo, lm, lr;
  const float* x = a.f32(0, &lx);
  const float* gamma = a.f32(1, &lg);
  const float* beta = a.f32(2, &lb);
  long rows, cols;
  rowsCols(a, 3, &rows, &cols);
  const double eps = a.num(5);
  float* out = a.f32(6, &lo);
  float* mean = a.f32(7, &lm);
  float* rstd = a.f32(8, &lr);
  need(a, "x", lx, rows * cols);
  need(a, "out", lo, rows * cols);
  need(a, "gamma", lg, cols);
  need(a, "beta", lb, cols);
  need(a, "mean", lm, rows);
  need(a, "rstd", lr, rows);
  if (!a.ok()) return a.fail();
  llm::layerNorm(x, gamma, beta, rows, cols, static_cast<float>(eps), out, mean, rstd);
  return info.Env().Undefined();
}

Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormBackward");
  size_t lx, lg, lm, lr, ldy, ldx, ldg, ldb;
  const float* x = a.f32(0, &lx);
  const float* gamma = a.f32(1, &lg);
  const float* mean = a.f32(2, &lm);
  const float* rstd = a.f32(3, &lr);
  const float* dy = a.f32(4, &ldy);
  long rows, cols;
  rowsCols(a, 5, &rows, &cols);
  float* dx = a.f32(7, &ldx);
  float* dgamma = a.f32(8, &ldg);
  float* dbeta = a.f32(9, &ldb);
  need(a, "x", lx, rows * cols);
  need(a, "dy", ldy, rows * cols);
  need(a, "dx", ldx, rows * cols);
  need(a, "gamma", lg, cols);
  need(a, "dgamma", ldg, cols);
  need(a, "dbeta", ldb, cols);
  need(a, "mean", lm, rows);
  need(a, "rstd", lr, rows);
  if (!a.ok()) return a.fail();
  llm::layerNormBackward(x, gamma, mean, rstd, dy, rows, cols, dx, dgamma, dbeta);
  return info.Env().Undefined();
}

Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  Args a(info, "rmsNorm");
  size_t lx, ls, lo, lr;
  const float* x = a.f32(0, &lx);
  const float* scale = a.f32(1, &ls);
  long rows, cols;
  rowsCols(a, 2, &rows, &cols);
  const double eps = a.num(4);
  const bool unitOffset = a.boolean(5);
  float* out = a.f32(6, &lo);
  float* rstd = a.f32(7, &lr);
  need(a, "x", lx, rows * cols);
  need(a, "out", lo, rows * cols);
  need(a, "scale", ls, cols);
  need(a, "rstd", lr, rows);
  if (!a.ok()) return a.fail();
  llm::rmsNorm(x, scale, rows, cols, static_cast<float>(eps), unitOffset, out, rstd);
  return info.Env().Undefined();
}

Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "rmsNormBackward");
  size_t lx, ls, lr, ldy, ldx, lds;
  const float* x = a.f32(0, &lx);
  const float* scale = a.f32(1, &ls);
  const float* rstd = a.f32(2, &lr);
  const float* dy = a.f32(3, &ldy);
  long rows, cols;
  rowsCols(a, 4, &rows, &cols);
  const bool unitOffset = a.boolean(6);
  float* dx = a.f32(7, &ldx);
  float* dscale = a.f32(8, &lds);
  need(a, "x", lx, rows * cols);
  need(a, "dy", ldy, rows * cols);
  need(a, "dx", ldx, rows * cols);
  need(a, "scale", ls, cols);
  need(a, "dscale", lds, cols);
  need(a, "rstd", lr, rows);
  if (!a.ok()) return a.fail();
  llm::rmsNormBackward(x, scale, rstd, dy, rows, cols, unitOffset, dx, dscale);
  return info.Env().Undefined();
}

Napi::Value Rope(const Napi::CallbackInfo& info) {
  Args a(info, "rope");
  size_t lx, lc, ls, la, lo;
  const float* x = a.f32(0, &lx);
  const float* cos = a.f32(1, &lc);
  const float* sin = a.f32(2, &ls);
  const int32_t* angleRow = a.i32(3, &la);
  long rows, hs;
  rowsCols(a, 4, &rows, &hs);
  float* out = a.f32(6, &lo);
  const bool transpose = a.boolean(7);
  if (a.ok() && hs % 2 != 0) a.error("hs must be even, got " + std::to_string(hs), true);
  need(a, "x", lx, rows * hs);
  need(a, "out", lo, rows * hs);
  need(a, "angleRow", la, rows);
  if (a.ok() && lc != ls) a.error("cos and sin must have the same length", true);
  // Every angle row must lie inside cos and sin.
  for (long r = 0; a.ok() && r < rows; r++)
    if (angleRow[r] < 0 || (static_cast<long>(angleRow[r]) + 1) * hs > static_cast<long>(lc))
      a.error("angleRow[" + std::to_string(r) + "] = " + std::to_string(angleRow[r]) + " is outside cos (" +
                  std::to_string(lc / std::max(hs, 1L)) + " rows)",
              true);
  if (a.ok() && rows > 0 && (x < out + rows * hs && out < x + rows * hs)) a.error("out must not overlap x", true);
  if (!a.ok()) return a.fail();
  llm::rope(x, cos, sin, angleRow, rows, hs, out, transpose);
  return info.Env().Undefined();
}

Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
  Args a(info, "geluBackward");
  size_t lx, ldy, ldx;
  const float* x = a.f32(0, &lx);
  const float* dy = a.f32(1, &ldy);
  float* dx = a.f32(2, &ldx);
  if (a.ok() && (ldy < lx || ldx < lx)) a.error("dy and dx must be as long as x", true);
  if (!a.ok()) return a.fail();
  llm::geluBackward(x, dy, dx, static_cast<long>(lx));
  return info.Env().Undefined();
}

void checkTargets(Args& a, const int32_t* t, long rows, long vocab, long ignoreIndex) {
  if (!a.ok()) return;
  for (long r = 0; r < rows; r++)
    if (t[r] != ignoreIndex && (t[r] < 0 || t[r] >= vocab)) {
      a.error("target " + std::to_string(t[r]) + " out of range [0, " + std::to_string(vocab) + ")", true);
      return;
    }
}

Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  Args a(info, "crossEntropy");
  size_t ll, lt, lse;
  const float* logits = a.f32(0, &ll);
  const int32_t* targets = a.i32(1, &lt);
  long rows, vocab;
  rowsCols(a, 2, &rows, &vocab);
  const long ignore = a.integer(4);
  float* out = a.f32(5, &lse);
  need(a, "logits", ll, rows * vocab);
  need(a, "targets", lt, rows);
  need(a, "lse", lse, rows);
  checkTargets(a, targets, rows, vocab, ignore);
  if (!a.ok()) return a.fail();
  return Napi::Number::New(info.Env(), llm::crossEntropy(logits, targets, rows, vocab, ignore, out));
}

Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  Args a(info, "crossEntropyBackward");
  size_t ll, lt, lse, ld;
  const float* logits = a.f32(0, &ll);
  const int32_t* targets = a.i32(1, &lt);
  const float* lsev = a.f32(2, &lse);
  long rows, vocab;
  rowsCols(a, 3, &rows, &vocab);
  const long ignore = a.integer(5);
  const double scale = a.num(6);
  float* dlogits = a.f32(7, &ld);
  need(a, "logits", ll, rows * vocab);
  need(a, "dlogits", ld, rows * vocab);
  need(a, "targets", lt, rows);
  need(a, "lse", lse, rows);
  checkTargets(a, targets, rows, vocab, ignore);
  if (!a.ok()) return a.fail();
  llm::crossEntropyBackward(logits, targets, lsev, rows, vocab, ignore, static_cast<float>(scale), dlogits);
  return info.Env().Undefined();
}

Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Args a(info, "adamw");
  size_t lp, lg, lm, lv;
  float* param = a.f32(0, &lp);
  const float* grad = a.f32(1, &lg);
  float* m = a.f32(2, &lm);
  float* v = a.f32(3, &lv);
  llm::AdamW p{};
  Napi::Object o;
  if (a.params(4, &o)) {
    p = llm::AdamW{a.prop(o, "lr"), a.prop(o, "beta1"), a.prop(o, "beta2"),
                   a.prop(o, "eps"), a.prop(o, "weightDecay"), a.prop(o, "step")};
  }
  if (a.ok() && (lg < lp || lm < lp || lv < lp)) a.error("grad, m and v must be as long as param", true);
  if (!a.ok()) return a.fail();
  llm::adamw(param, grad, m, v, static_cast<long>(lp), p);
  return info.Env().Undefined();
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Args a(info, "sumSquares");
  size_t lx;
  const float* x = a.f32(0, &lx);
  if (!a.ok()) return a.fail();
  return Napi::Number::New(info.Env(), llm::sumSquares(x, static_cast<long>(lx)));
}

// A typed-array property of a params object: Float32Array (or Uint16Array where allowed), or null
// where optional. Returns the data and its element count.
const void* arrayProperty(Args& a, const Napi::Object& p, const char* name, bool optional, bool allowU16,
                          size_t* len, bool* isU16, const std::string& owner = "params") {
  *len = 0;
  if (isU16) *isU16 = false;
  Napi::Value v = p.Get(name);
  if (optional && v.IsNull()) return nullptr;
  if (v.IsTypedArray()) {
    const napi_typedarray_type t = v.As<Napi::TypedArray>().TypedArrayType();
    if (t == napi_float32_array) {
      Napi::Float32Array arr = v.As<Napi::Float32Array>();
      *len = arr.ElementLength();
      return arr.Data();
    }
    if (allowU16 && t == napi_uint16_array) {
      Napi::Uint16Array arr = v.As<Napi::Uint16Array>();
      *len = arr.ElementLength();
      *isU16 = true;
      return arr.Data();
    }
  }
  a.error(owner + "." + name + " must be a Float32Array" + (allowU16 ? " or a Uint16Array (bf16)" : "") +
          (optional ? " or null" : ""));
  return nullptr;
}

bool boolProperty(Args& a, const Napi::Object& p, const char* name) {
  Napi::Value v = p.Get(name);
  if (!v.IsBoolean()) a.error(std::string("params.") + name + " must be a boolean");
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

long sizeProperty(Args& a, const Napi::Object& p, const char* name, const std::string& owner = "params") {
  const double d = a.prop(p, name, owner);
  if (a.ok() && (d != std::floor(d) || d < 0 || d > 9.0e15))
    a.error(owner + "." + name + " must be a non-negative integer", true);
  return a.ok() ? static_cast<long>(d) : 0;
}

// One gemv's params object, checked (errors name `what`, "params" or "params[i]").
llm::GemvArgs gemvArgs(Args& a, const Napi::Object& p) {
  size_t lx, lw, lb, lr, lo;
  llm::GemvArgs g{};
  g.x = static_cast<const float*>(arrayProperty(a, p, "x", false, false, &lx, nullptr));
  g.weight = arrayProperty(a, p, "weight", false, true, &lw, &g.bf16);
  g.bias = static_cast<const float*>(arrayProperty(a, p, "bias", true, false, &lb, nullptr));
  g.residual = static_cast<const float*>(arrayProperty(a, p, "residual", true, false, &lr, nullptr));
  g.out = static_cast<float*>(const_cast<void*>(arrayProperty(a, p, "out", false, false, &lo, nullptr)));
  g.rows = sizeProperty(a, p, "rows");
  g.k = sizeProperty(a, p, "k");
  g.n = sizeProperty(a, p, "n");
  g.gelu = boolProperty(a, p, "gelu");
  need(a, "params.x", lx, g.rows * g.k);
  need(a, "params.weight", lw, g.n * g.k);
  need(a, "params.out", lo, g.rows * g.n);
  if (g.bias) need(a, "params.bias", lb, g.n);
  if (g.residual) need(a, "params.residual", lr, g.rows * g.n);
  return g;
}

Napi::Value Gemv(const Napi::CallbackInfo& info) {
  Args a(info, "gemv");
  Napi::Object p;
  if (!a.params(0, &p)) return a.fail();
  const llm::GemvArgs g = gemvArgs(a, p);
  if (!a.ok()) return a.fail();
  if (g.rows > 0 && g.n > 0) llm::gemv(g);
  return info.Env().Undefined();
}

Napi::Value GemvMany(const Napi::CallbackInfo& info) {
  Args a(info, "gemvMany");
  if (!info[0].IsArray()) {
    a.error("expects an array of params objects");
    return a.fail();
  }
  Napi::Array list = info[0].As<Napi::Array>();
  const uint32_t count = list.Length();
  if (count == 0 || count > static_cast<uint32_t>(llm::kMaxGemvProducts)) {
    a.error("expects 1 to " + std::to_string(llm::kMaxGemvProducts) + " products");
    return a.fail();
  }
  llm::GemvArgs gs[llm::kMaxGemvProducts];
  for (uint32_t i = 0; i < count && a.ok(); i++) {
    if (!list.Get(i).IsObject()) {
      a.error("expects an array of params objects");
      break;
    }
    gs[i] = gemvArgs(a, list.Get(i).As<Napi::Object>());
    if (a.ok() && i > 0 && (gs[i].x != gs[0].x || gs[i].rows != gs[0].rows || gs[i].k != gs[0].k || gs[i].bf16 != gs[0].bf16))
      a.error("the products must share x, rows, k and the weights' type");
  }
  if (!a.ok()) return a.fail();
  if (gs[0].rows > 0) llm::gemvMany(gs, static_cast<int>(count));
  return info.Env().Undefined();
}

Napi::Value AttendCached(const Napi::CallbackInfo& info) {
  Args a(info, "attendCached");
  Napi::Object p;
  if (!a.params(0, &p)) return a.fail();
  size_t lq, lk, lv, lo;
  llm::AttendArgs g{};
  g.q = static_cast<const float*>(arrayProperty(a, p, "q", false, false, &lq, nullptr));
  g.keys = static_cast<const float*>(arrayProperty(a, p, "keys", false, false, &lk, nullptr));
  g.values = static_cast<const float*>(arrayProperty(a, p, "values", false, false, &lv, nullptr));
  g.out = static_cast<float*>(const_cast<void*>(arrayProperty(a, p, "out", false, false, &lo, nullptr)));
  g.batch = sizeProperty(a, p, "batch");
  g.heads = sizeProperty(a, p, "heads");
  g.headDim = sizeProperty(a, p, "headDim");
  g.maxLength = sizeProperty(a, p, "maxLength");
  g.start = sizeProperty(a, p, "start");
  g.tokens = sizeProperty(a, p, "tokens");
  if (!p.Get("kvHeads").IsUndefined()) g.kvHeads = sizeProperty(a, p, "kvHeads");
  if (!p.Get("scale").IsUndefined()) {
    const double scale = a.prop(p, "scale");
    if (a.ok() && !(scale > 0 && std::isfinite(scale))) a.error("params.scale must be a positive number", true);
    g.scale = static_cast<float>(scale);
  }
  const long kvHeads = g.kvHeads > 0 ? g.kvHeads : g.heads;
  if (a.ok() && g.kvHeads > 0 && g.heads % g.kvHeads != 0)
    a.error("params.heads (" + std::to_string(g.heads) + ") must be a multiple of params.kvHeads (" +
                std::to_string(g.kvHeads) + ")",
            true);
  if (a.ok() && g.start + g.tokens > g.maxLength)
    a.error("start + tokens (" + std::to_string(g.start + g.tokens) + ") exceeds maxLength " +
                std::to_string(g.maxLength),
            true);
  const long rowsC = g.batch * g.tokens * g.heads * g.headDim;
  need(a, "params.q", lq, rowsC);
  need(a, "params.out", lo, rowsC);
  need(a, "params.keys", lk, g.batch * kvHeads * g.maxLength * g.headDim);
  need(a, "params.values", lv, g.batch * kvHeads * g.maxLength * g.headDim);
  if (!a.ok()) return a.fail();
  if (rowsC > 0) llm::attendCached(g);
  return info.Env().Undefined();
}

// params[name] as an object, or an error naming it.
Napi::Object objectProperty(Args& a, const Napi::Object& p, const std::string& owner, const char* name) {
  Napi::Value v = p.Get(name);
  if (!v.IsObject()) {
    a.error(owner + "." + name + " must be an object");
    return Napi::Object::New(p.Env());
  }
  return v.As<Napi::Object>();
}

// A layer of decodeBlock: { weight (n x k, Float32Array or bf16 bits), bias (n) or null }. Errors
// name it as base.name ("params.query", "blocks[3].fc1").
llm::DecodeLinear decodeLinear(Args& a, const Napi::Object& p, const std::string& base, const char* name, long n,
                               long k) {
  const std::string owner = base + "." + name;
  Napi::Object o = objectProperty(a, p, base, name);
  llm::DecodeLinear l{};
  size_t lw = 0, lb = 0;
  if (!a.ok()) return l;
  l.weight = arrayProperty(a, o, "weight", false, true, &lw, &l.bf16, owner);
  l.bias = static_cast<const float*>(arrayProperty(a, o, "bias", true, false, &lb, nullptr, owner));
  need(a, (owner + ".weight").c_str(), lw, n * k);
  if (l.bias) need(a, (owner + ".bias").c_str(), lb, n);
  return l;
}

llm::DecodeNorm decodeNorm(Args& a, const Napi::Object& p, const std::string& base, const char* name, long C) {
  const std::string owner = base + "." + name;
  Napi::Object o = objectProperty(a, p, base, name);
  llm::DecodeNorm n{};
  size_t lg = 0, lb = 0;
  if (!a.ok()) return n;
  n.gamma = static_cast<const float*>(arrayProperty(a, o, "gamma", false, false, &lg, nullptr, owner));
  n.beta = static_cast<const float*>(arrayProperty(a, o, "beta", false, false, &lb, nullptr, owner));
  n.eps = static_cast<float>(a.prop(o, "eps", owner));
  need(a, (owner + ".gamma").c_str(), lg, C);
  need(a, (owner + ".beta").c_str(), lb, C);
  return n;
}

// A Float32Array property that decodeBlock writes, checked to hold n floats.
float* writableProperty(Args& a, const Napi::Object& p, const char* name, long n,
                        const std::string& owner = "params") {
  size_t len = 0;
  auto* data = static_cast<float*>(const_cast<void*>(arrayProperty(a, p, name, false, false, &len, nullptr, owner)));
  need(a, (owner + "." + name).c_str(), len, n);
  return data;
}

// The layers of a decode block (ln1 ... fc2), checked against embDim and hidden.
struct BlockLayers {
  long embDim = 0, hidden = 0;
  llm::DecodeNorm ln1{}, ln2{};
  llm::DecodeLinear query{}, key{}, value{}, proj{}, fc1{}, fc2{};
};

BlockLayers blockLayers(Args& a, const Napi::Object& p, const std::string& base = "params") {
  BlockLayers b;
  b.embDim = sizeProperty(a, p, "embDim", base);
  b.hidden = sizeProperty(a, p, "hidden", base);
  const long C = b.embDim;
  b.ln1 = decodeNorm(a, p, base, "ln1", C);
  b.ln2 = decodeNorm(a, p, base, "ln2", C);
  b.query = decodeLinear(a, p, base, "query", C, C);
  b.key = decodeLinear(a, p, base, "key", C, C);
  b.value = decodeLinear(a, p, base, "value", C, C);
  b.proj = decodeLinear(a, p, base, "proj", C, C);
  b.fc1 = decodeLinear(a, p, base, "fc1", b.hidden, C);
  b.fc2 = decodeLinear(a, p, base, "fc2", C, b.hidden);
  return b;
}

// A decode step's scratch (decodeBlock's and decodeStep's ln ... rstd) and residual stream x, for
// `rows` rows, checked.
void decodeScratch(Args& a, const Napi::Object& p, long rows, long C, long hidden, llm::DecodeBlockArgs* g) {
  g->x = writableProperty(a, p, "x", rows * C);
  g->ln = writableProperty(a, p, "ln", rows * C);
  g->q = writableProperty(a, p, "q", rows * C);
  g->k = writableProperty(a, p, "k", rows * C);
  g->v = writableProperty(a, p, "v", rows * C);
  g->h = writableProperty(a, p, "h", rows * hidden);
  g->mean = writableProperty(a, p, "mean", rows);
  g->rstd = writableProperty(a, p, "rstd", rows);
}

void checkHeads(Args& a, long heads, long C) {
  if (a.ok() && (heads < 1 || C % heads != 0))
    a.error("params.heads must divide the blocks' embDim (" + std::to_string(C) + ")", true);
}

// A segment's rows (start, row, tokens), checked against rows.
llm::DecodeSegment segmentRows(Args& a, const Napi::Object& o, const std::string& owner, long rows) {
  llm::DecodeSegment seg{};
  seg.start = sizeProperty(a, o, "start", owner);
  seg.row = sizeProperty(a, o, "row", owner);
  seg.tokens = sizeProperty(a, o, "tokens", owner);
  if (a.ok() && seg.row + seg.tokens > rows) a.error(owner + ": row + tokens exceeds rows", true);
  return seg;
}

// Its cache for one block (keys, values, capacity: read from cache), checked against its rows.
void segmentCache(Args& a, llm::DecodeSegment* seg, const Napi::Object& cache, const std::string& owner,
                  const std::string& cacheOwner, long heads, long hs) {
  seg->capacity = sizeProperty(a, cache, "capacity", cacheOwner);
  if (a.ok() && seg->start + seg->tokens > seg->capacity)
    a.error(owner + ": start + tokens exceeds capacity " + std::to_string(seg->capacity), true);
  seg->keys = writableProperty(a, cache, "keys", heads * seg->capacity * hs, cacheOwner);
  seg->values = writableProperty(a, cache, "values", heads * seg->capacity * hs, cacheOwner);
}

// Calls each(object, owner) for the elements of arr, named name[i], while all is well; an element
// that is not an object is the error.
template <typename Each>
void forEachObject(Args& a, const Napi::Array& arr, const std::string& name, Each each) {
  for (uint32_t i = 0; i < arr.Length() && a.ok(); i++) {
    const std::string owner = name + "[" + std::to_string(i) + "]";
    Napi::Value e = arr.Get(i);
    if (!e.IsObject()) {
      a.error(owner + " must be an object");
      return;
    }
    each(e.As<Napi::Object>(), owner);
  }
}

// params.segments, an array of objects whose tokens add up to rows: calls each(object, its rows,
// owner) for every one while all is well.
template <typename Each>
void forEachSegment(Args& a, const Napi::Object& p, long rows, Each each) {
  Napi::Value sv = p.Get("segments");
  if (a.ok() && !sv.IsArray()) a.error("params.segments must be an array");
  if (!a.ok()) return;
  long covered = 0;
  forEachObject(a, sv.As<Napi::Array>(), "params.segments", [&](const Napi::Object& o, const std::string& owner) {
    const llm::DecodeSegment seg = segmentRows(a, o, owner, rows);
    covered += seg.tokens;
    if (a.ok()) each(o, seg, owner);
  });
  if (a.ok() && covered != rows)
    a.error("params.segments: their tokens must add up to rows (" + std::to_string(rows) + ")", true);
}

void setLayers(llm::DecodeBlockArgs* g, const BlockLayers& b) {
  g->embDim = b.embDim;
  g->hidden = b.hidden;
  g->ln1 = b.ln1;
  g->ln2 = b.ln2;
  g->query = b.query;
  g->key = b.key;
  g->value = b.value;
  g->proj = b.proj;
  g->fc1 = b.fc1;
  g->fc2 = b.fc2;
}

Napi::Value DecodeBlock(const Napi::CallbackInfo& info) {
  Args a(info, "decodeBlock");
  Napi::Object p;
  if (!a.params(0, &p)) return a.fail();
  llm::DecodeBlockArgs g{};
  g.rows = sizeProperty(a, p, "rows");
  g.heads = sizeProperty(a, p, "heads");
  setLayers(&g, blockLayers(a, p));
  checkHeads(a, g.heads, g.embDim);
  const long C = g.embDim, rows = g.rows, hs = a.ok() ? C / g.heads : 0;
  decodeScratch(a, p, rows, C, g.hidden, &g);
  // Kept between calls: decoding allocates nothing per token.
  static thread_local std::vector<llm::DecodeSegment> segments;
  segments.clear();
  forEachSegment(a, p, rows, [&](const Napi::Object& o, llm::DecodeSegment seg, const std::string& owner) {
    segmentCache(a, &seg, o, owner, owner, g.heads, hs);
    segments.push_back(seg);
  });
  if (!a.ok()) return a.fail();
  g.segments = segments.data();
  g.segmentCount = static_cast<long>(segments.size());
  if (rows > 0) llm::decodeBlock(g);
  return info.Env().Undefined();
}

// What prepareDecodeLayers returns: every block's layers read once, and references that keep their
// arrays alive as long as the handle lives. Reading some forty properties and arrays cost each
// block 40-48 us in a decode (V8's objects cold after a token's weights streamed through the
// caches), 0.5 ms a gpt2-small token; decodeStep reads the handle instead.
struct PreparedLayers {
  std::vector<BlockLayers> blocks;
  long hidden = 0;  // the widest block's
  std::vector<napi_ref> arrays;
};
// Tags the handles, so that decodeStep takes no other External for one.
constexpr napi_type_tag kPreparedLayersTag = {0x6c6c6d2d73637261ULL, 0x7463682d6c617972ULL};

Napi::Value PrepareDecodeLayers(const Napi::CallbackInfo& info) {
  Args a(info, "prepareDecodeLayers");
  if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0) {
    a.error("expects an array of blocks, one at least");
    return a.fail();
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  auto prepared = std::make_unique<PreparedLayers>();
  forEachObject(a, arr, "blocks", [&](const Napi::Object& block, const std::string& owner) {
    if (!prepared->blocks.empty() && sizeProperty(a, block, "embDim", owner) != prepared->blocks[0].embDim && a.ok())
      a.error(owner + ".embDim differs from blocks[0]'s (" + std::to_string(prepared->blocks[0].embDim) + ")", true);
    if (!a.ok()) return;
    prepared->blocks.push_back(blockLayers(a, block, owner));
    prepared->hidden = std::max(prepared->hidden, prepared->blocks.back().hidden);
  });
  if (!a.ok()) return a.fail();
  napi_env env = info.Env();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Object block = arr.Get(i).As<Napi::Object>();
    for (const char* layer : {"ln1", "ln2", "query", "key", "value", "proj", "fc1", "fc2"}) {
      Napi::Object o = block.Get(layer).As<Napi::Object>();
      for (const char* name : {"weight", "bias", "gamma", "beta"}) {
        Napi::Value v = o.Get(name);
        napi_ref ref = nullptr;
        if (v.IsTypedArray() && napi_create_reference(env, v, 1, &ref) == napi_ok) prepared->arrays.push_back(ref);
      }
    }
  }
  auto handle =
      Napi::External<PreparedLayers>::New(env, prepared.release(), [](Napi::Env e, PreparedLayers* layers) {
        for (napi_ref ref : layers->arrays) napi_delete_reference(e, ref);
        delete layers;
      });
  napi_type_tag_object(env, handle, &kPreparedLayersTag);
  return handle;
}

// Every block of the decode step in one call (DecodeStepParams in src/backend/kernels.ts): the
// blocks from params.layers (prepareDecodeLayers' handle), each segment's cache of block l from
// its layers[l]. One crossing from JavaScript a token instead of one a block.
Napi::Value DecodeStep(const Napi::CallbackInfo& info) {
  Args a(info, "decodeStep");
  Napi::Object p;
  if (!a.params(0, &p)) return a.fail();
  Napi::Value lv = p.Get("layers");
  bool tagged = false;
  if (!lv.IsExternal() || napi_check_object_type_tag(p.Env(), lv, &kPreparedLayersTag, &tagged) != napi_ok ||
      !tagged) {
    a.error("params.layers must be what prepareDecodeLayers returned");
    return a.fail();
  }
  const PreparedLayers& layers = *lv.As<Napi::External<PreparedLayers>>().Data();
  const long L = static_cast<long>(layers.blocks.size());
  llm::DecodeBlockArgs g{};
  g.rows = sizeProperty(a, p, "rows");
  g.heads = sizeProperty(a, p, "heads");
  const long C = layers.blocks[0].embDim, rows = g.rows;
  checkHeads(a, g.heads, C);
  const long hs = a.ok() ? C / g.heads : 0;
  decodeScratch(a, p, rows, C, layers.hidden, &g);
  // (segment, block) in segment-major order; kept between calls: nothing allocated per token.
  static thread_local std::vector<llm::DecodeSegment> segments;
  segments.clear();
  long count = 0;
  forEachSegment(a, p, rows, [&](const Napi::Object& o, llm::DecodeSegment seg, const std::string& owner) {
    Napi::Value cv = o.Get("layers");
    if (!cv.IsArray() || cv.As<Napi::Array>().Length() != static_cast<uint32_t>(L)) {
      a.error(owner + ".layers must be an array of " + std::to_string(L) + " caches, one a block");
      return;
    }
    forEachObject(a, cv.As<Napi::Array>(), owner + ".layers", [&](const Napi::Object& cache, const std::string& name) {
      segmentCache(a, &seg, cache, owner, name, g.heads, hs);
      segments.push_back(seg);
    });
    count++;
  });
  if (!a.ok()) return a.fail();
  if (rows == 0) return info.Env().Undefined();
  // One block's segments side by side, as decodeBlock takes them.
  static thread_local std::vector<llm::DecodeSegment> block;
  block.resize(static_cast<size_t>(count));
  g.segments = block.data();
  g.segmentCount = count;
  for (long l = 0; l < L; l++) {
    setLayers(&g, layers.blocks[static_cast<size_t>(l)]);
    for (long s = 0; s < count; s++) block[static_cast<size_t>(s)] = segments[static_cast<size_t>(s * L + l)];
    llm::decodeBlock(g);
  }
  return info.Env().Undefined();
}

// The fields both attention kernels share, checked; q, k, v, out and lse are read for both.
bool attentionArgs(Args& a, const Napi::CallbackInfo& info, llm::AttentionArgs* g) {
  Napi::Object p;
  if (!a.params(0, &p)) return false;
  size_t lq, lk, lv, lo, ll;
  g->q = static_cast<const float*>(arrayProperty(a, p, "q", false, false, &lq, nullptr));
  g->k = static_cast<const float*>(arrayProperty(a, p, "k", false, false, &lk, nullptr));
  g->v = static_cast<const float*>(arrayProperty(a, p, "v", false, false, &lv, nullptr));
  g->out = static_cast<float*>(const_cast<void*>(arrayProperty(a, p, "out", false, false, &lo, nullptr)));
  g->lse = static_cast<float*>(const_cast<void*>(arrayProperty(a, p, "lse", false, false, &ll, nullptr)));
  g->batch = sizeProperty(a, p, "batch");
  g->tokens = sizeProperty(a, p, "tokens");
  g->heads = sizeProperty(a, p, "heads");
  g->kvHeads = sizeProperty(a, p, "kvHeads");
  g->headDim = sizeProperty(a, p, "headDim");
  const double scale = a.prop(p, "scale");
  if (a.ok() && !std::isfinite(scale)) a.error("params.scale must be a finite number", true);
  g->scale = static_cast<float>(scale);
  if (a.ok() && (g->kvHeads == 0 || g->heads % g->kvHeads != 0))
    a.error("params.heads (" + std::to_string(g->heads) + ") must be a multiple of params.kvHeads (" +
                std::to_string(g->kvHeads) + ")",
            true);
  const long rowsQ = g->batch * g->tokens * g->heads * g->headDim;
  const long rowsK = g->batch * g->tokens * g->kvHeads * g->headDim;
  need(a, "params.q", lq, rowsQ);
  need(a, "params.k", lk, rowsK);
  need(a, "params.v", lv, rowsK);
  need(a, "params.out", lo, rowsQ);
  need(a, "params.lse", ll, g->batch * g->heads * g->tokens);
  return a.ok();
}

Napi::Value CausalAttention(const Napi::CallbackInfo& info) {
  Args a(info, "causalAttention");
  llm::AttentionArgs g{};
  if (!attentionArgs(a, info, &g)) return a.fail();
  if (g.batch * g.tokens * g.heads * g.headDim > 0) llm::causalAttention(g);
  return info.Env().Undefined();
}

Napi::Value CausalAttentionBackward(const Napi::CallbackInfo& info) {
  Args a(info, "causalAttentionBackward");
  llm::AttentionArgs g{};
  if (!attentionArgs(a, info, &g)) return a.fail();
  Napi::Object p = info[0].As<Napi::Object>();
  size_t lg, lq, lk, lv;
  g.dOut = static_cast<const float*>(arrayProperty(a, p, "dOut", false, false, &lg, nullptr));
  g.dq = static_cast<float*>(const_cast<void*>(arrayProperty(a, p, "dq", false, false, &lq, nullptr)));
  g.dk = static_cast<float*>(const_cast<void*>(arrayProperty(a, p, "dk", false, false, &lk, nullptr)));
  g.dv = static_cast<float*>(const_cast<void*>(arrayProperty(a, p, "dv", false, false, &lv, nullptr)));
  const long rowsQ = g.batch * g.tokens * g.heads * g.headDim;
  const long rowsK = g.batch * g.tokens * g.kvHeads * g.headDim;
  need(a, "params.dOut", lg, rowsQ);
  need(a, "params.dq", lq, rowsQ);
  need(a, "params.dk", lk, rowsK);
  need(a, "params.dv", lv, rowsK);
  if (!a.ok()) return a.fail();
  if (rowsQ > 0) llm::causalAttentionBackward(g);
  return info.Env().Undefined();
}

// A bandwidth probe's size in megabytes and its repeats (arguments 0 and 1), checked.
static void probeArgs(Args& a, long* bytes, int* repeats) {
  const double mb = a.num(0);
  const long r = a.integer(1);
  if (a.ok() && !(mb >= 1 && mb <= 65536)) a.error("megabytes must be between 1 and 65536", true);
  if (a.ok() && (r < 1 || r > 1000)) a.error("repeats must be between 1 and 1000", true);
  *bytes = static_cast<long>(mb * 1024 * 1024);
  *repeats = static_cast<int>(r);
}

Napi::Value ReadBandwidth(const Napi::CallbackInfo& info) {
  Args a(info, "readBandwidth");
  long bytes;
  int repeats;
  probeArgs(a, &bytes, &repeats);
  const bool huge = a.boolean(2);
  if (!a.ok()) return a.fail();
  return Napi::Number::New(info.Env(), llm::readBandwidth(bytes, repeats, huge));
}

Napi::Value UpdateBandwidth(const Napi::CallbackInfo& info) {
  Args a(info, "updateBandwidth");
  long bytes;
  int repeats;
  probeArgs(a, &bytes, &repeats);
  if (!a.ok()) return a.fail();
  return Napi::Number::New(info.Env(), llm::updateBandwidth(bytes, repeats));
}

// Argument 0 as a typed array: its first byte and its length, or false after a TypeError naming
// the function.
static bool typedArrayArg(const Napi::CallbackInfo& info, const char* name, const uint8_t** data, size_t* length) {
  if (!info[0].IsTypedArray()) {
    Napi::TypeError::New(info.Env(), std::string(name) + ": argument 0 must be a typed array")
        .ThrowAsJavaScriptException();
    return false;
  }
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  *data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  *length = arr.ByteLength();
  return true;
}

Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  const uint8_t* data;
  size_t length;
  if (!typedArrayArg(info, "adviseHugePages", &data, &length)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(llm::adviseHugePages(data, length)));
}

// Bytes from the last 64-byte boundary to a typed array's first element.
Napi::Value Misalignment(const Napi::CallbackInfo& info) {
  const uint8_t* data;
  size_t length;
  if (!typedArrayArg(info, "misalignment", &data, &length)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(data) % 64));
}

Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  Args a(info, "fmaPeak");
  const long nt = a.integer(0);
  const double ms = a.num(1);
  if (a.ok() && (nt < 1 || nt > 1024)) a.error("threads must be between 1 and 1024", true);
  if (a.ok() && !(ms >= 1 && ms <= 60000)) a.error("ms must be between 1 and 60000", true);
  if (!a.ok()) return a.fail();
  return Napi::Number::New(info.Env(), llm::fmaPeak(static_cast<int>(nt), ms));
}

// Returns freed heap pages to the system (glibc keeps them otherwise): after a bf16 model drops
// its float32 arrays, the process should shrink by what it dropped.
Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const llm::GemmConfig& cfg = llm::gemmConfig();
  o.Set("isa", llm::isaName(llm::isa()));
  o.Set("threads", llm::threads());
  o.Set("gemmKernel", cfg.name);
  o.Set("bf16Dot", llm::hasAvx512Bf16() ? "avx512bf16 vdpbf16ps" : "widened to float32");
  o.Set("bf16GemmKernel", llm::bf16GemmConfig().name);
  Napi::Object blocks = Napi::Object::New(env);
  blocks.Set("mr", cfg.mr);
  blocks.Set("nr", cfg.nr);
  blocks.Set("mc", cfg.mc);
  blocks.Set("kc", cfg.kc);
  blocks.Set("nc", cfg.nc);
  o.Set("gemmBlocks", blocks);
  // Measured here if not within the last second, unless there is one thread (it then decides
  // nothing).
  const double latency = llm::threads() > 1 ? llm::workerLatencyNs() : 0;
  o.Set("coreLatencyNs", latency);
  o.Set("gemmThreads", llm::threads() < 2          ? "one thread"
                       : llm::workersShareCache() ? "threads share packed B blocks"
                                                  : "each thread packs its own blocks");
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setThreads");
  const long n = a.integer(0);
  if (a.ok() && (n < 0 || n > 1024)) a.error("threads must be between 0 (the default) and 1024", true);
  if (!a.ok()) return a.fail();
  llm::setThreads(static_cast<int>(n));
  return Napi::Number::New(info.Env(), llm::threads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  struct Entry {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  };
  static const Entry entries[] = {
      {"matmul", Matmul},
      {"gemv", Gemv},
      {"gemvMany", GemvMany},
      {"attendCached", AttendCached},
      {"decodeBlock", DecodeBlock},
      {"prepareDecodeLayers", PrepareDecodeLayers},
      {"decodeStep", DecodeStep},
      {"causalAttention", CausalAttention},
      {"causalAttentionBackward", CausalAttentionBackward},
      {"unary", Unary},
      {"binary", Binary},
      {"where", Where},
      {"affine", Affine},
      {"fill", Fill},
      {"copyStrided", CopyStrided},
      {"reduce", Reduce},
      {"argReduce", ArgReduce},
      {"indexSelect", IndexSelect},
      {"indexAdd", IndexAdd},
      {"gather", Gather},
      {"scatterAdd", ScatterAdd},
      {"softmax", Softmax},
      {"softmaxBackward", SoftmaxBackward},
      {"layerNorm", LayerNorm},
      {"layerNormBackward", LayerNormBackward},
      {"rmsNorm", RmsNorm},
      {"rmsNormBackward", RmsNormBackward},
      {"rope", Rope},
      {"geluBackward", GeluBackward},
      {"crossEntropy", CrossEntropy},
      {"crossEntropyBackward", CrossEntropyBackward},
      {"adamw", AdamW},
      {"sumSquares", SumSquares},
      {"info", Info},
      {"setThreads", SetThreads},
      {"readBandwidth", ReadBandwidth},
      {"updateBandwidth", UpdateBandwidth},
      {"adviseHugePages", AdviseHugePages},
      {"misalignment", Misalignment},
      {"fmaPeak", FmaPeak},
      {"trimMemory", TrimMemory},
      {"matmulBf16", MatmulBf16},
  };
  for (const Entry& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  return exports;
}

}  // namespace

NODE_API_MODULE(llm_scratch_native, Init)

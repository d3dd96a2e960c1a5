// The products of `npm run bench:gemm` (src/backend/bench-gemm.ts) for the C++ harnesses: each
// forward product (M, K, N) of a GPT-2-small step and a square one, then its two backward layouts
// dA = dC B^T and dB = A^T dC. `spec` is the form ONLY= takes: "m,k,n,TATB" (e.g. "512,768,768,01").
#pragma once
#include <string>
#include <vector>

struct BenchShape {
  long m, k, n;
  bool transA, transB;
  std::string spec() const {
    return std::to_string(m) + "," + std::to_string(k) + "," + std::to_string(n) + "," + std::to_string(transA) +
           std::to_string(transB);
  }
};

inline std::vector<BenchShape> benchShapes() {
  const long forward[][3] = {{512, 768, 768}, {512, 768, 3072}, {512, 3072, 768}, {512, 768, 50257}, {2048, 2048, 2048}};
  std::vector<BenchShape> shapes;
  for (const auto& f : forward) {
    const long m = f[0], k = f[1], n = f[2];
    shapes.push_back({m, k, n, false, false});
    shapes.push_back({m, n, k, false, true});
    shapes.push_back({k, m, n, true, false});
  }
  return shapes;
}

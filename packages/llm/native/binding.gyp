{
  "targets": [
    {
      "target_name": "llm_scratch_native",
      "sources": [
        "addon.cc",
        "runtime.cc",
        "thread_distance.cc",
        "gemm.cc",
        "gemm_avx512.cc",
        "gemm_avx2.cc",
        "gemm_avx2_asm.cc",
        "gemm_avx512_asm.cc",
        "gemm_scalar.cc",
        "elementwise.cc",
        "elementwise_avx2.cc",
        "elementwise_avx512.cc",
        "dispatch.cc",
        "reduce.cc",
        "nn.cc",
        "nn_avx2.cc",
        "nn_avx512.cc",
        "decode.cc",
        "decode_avx2.cc",
        "decode_avx512.cc",
        "decode_dispatch.cc",
        "decode_block.cc",
        "attention.cc",
        "attention_avx2.cc",
        "attention_avx512.cc",
        "attention_dispatch.cc",
        "decode_pool.cc",
        "fma_peak.cc",
        "gemm_bf16.cc",
        "gemm_bf16_avx2.cc",
        "gemm_bf16_avx512.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "ldflags": ["-fopenmp"]
    }
  ]
}

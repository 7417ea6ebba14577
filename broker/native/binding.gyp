{
  "targets": [
    {
      "target_name": "blindlink_dice",
      "sources": ["dice.cc"],
      "cflags!": ["-O2"],
      "cflags_cc!": ["-O2"],
      "cflags_cc": ["-O3", "-march=native", "-ffp-contract=off", "-std=c++17", "-Wno-maybe-uninitialized"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-march=native", "-ffp-contract=off", "-std=c++17"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "Optimization": 2, "FloatingPointModel": 0 }
      }
    }
  ]
}

{
  "targets": [
    {
      "target_name": "humbridge_fuse",
      "sources": ["fuse_native.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}

{
  "targets": [
    {
      "target_name": "humbridge_native",
      "sources": ["humbridge_native.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}

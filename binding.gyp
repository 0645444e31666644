{
  "targets": [
    {
      "target_name": "famez",
      "sources": ["native/module.c", "native/util.c", "native/socket.c", "native/eventfd.c", "native/eventfd-set.c", "native/memory.c", "native/guard.c", "native/watcher.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

/* The one place that registers the addon's exports. */
#include "famez.h"

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL},

static napi_value init(napi_env env, napi_value exports) {
  eventfd_nowait_reads(); /* the probe, once, at load */
  napi_property_descriptor fns[] = {FAMEZ_EXPORTS(FN)};
  if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) != napi_ok ||
      !watcher_register(env, exports))
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

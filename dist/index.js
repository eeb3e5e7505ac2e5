import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
process.env.RUNNER_DEBUG==="1"&&process.setSourceMapsEnabled(!0);await import("./chunks/main-FWICVMRL.js");
//# sourceMappingURL=index.js.map

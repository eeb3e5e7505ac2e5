import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
process.env.RUNNER_DEBUG==="1"&&process.setSourceMapsEnabled(!0);await import("./chunks/main-V7IP6CEC.js");
//# sourceMappingURL=index.js.map

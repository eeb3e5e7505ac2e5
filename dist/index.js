import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
process.env.RUNNER_DEBUG==="1"&&process.setSourceMapsEnabled(!0);await import("./chunks/main-5ZN6E5KZ.js");
//# sourceMappingURL=index.js.map

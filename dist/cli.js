#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
process.argv.includes("--debug")&&process.setSourceMapsEnabled(!0);await import("./chunks/cli-XZVWPNJU.js");
//# sourceMappingURL=cli.js.map

#!/usr/bin/env -S node --max-semi-space-size=8
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
process.argv.includes("--debug")&&process.setSourceMapsEnabled(!0);await import("./chunks/cli-B2YZXMX3.js");
//# sourceMappingURL=cli.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a}from"./chunk-2P3Y7LNP.js";import"./chunk-FTJL2TAL.js";export{a as commandRunner};
//# sourceMappingURL=run-command-LBNUVYLW.js.map

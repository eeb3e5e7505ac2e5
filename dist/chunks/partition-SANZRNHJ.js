import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{d as a,e as b}from"./chunk-XK7PWYSX.js";import"./chunk-2P3Y7LNP.js";import"./chunk-JIDHOXED.js";import"./chunk-L522L4BR.js";import"./chunk-FTJL2TAL.js";export{b as kindPartition,a as nodeIptables};
//# sourceMappingURL=partition-SANZRNHJ.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b}from"./chunk-O5ROCMZV.js";import"./chunk-2P3Y7LNP.js";import"./chunk-JIDHOXED.js";import"./chunk-L522L4BR.js";import"./chunk-FTJL2TAL.js";export{a as hostIptables,b as localPartition};
//# sourceMappingURL=partition-FNNSC65V.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d}from"./chunk-LWS3QIVQ.js";import"./chunk-XG7QGOPM.js";import"./chunk-AYHNIOP2.js";import"./chunk-KJ2OVQRW.js";import"./chunk-PXKXBILN.js";import"./chunk-JIDHOXED.js";import"./chunk-FTJL2TAL.js";export{b as createKindCluster,c as deleteKindCluster,a as kindClusters,d as undoKindCluster};
//# sourceMappingURL=kind-ENTTXIL6.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d}from"./chunk-WXFLYZLB.js";import"./chunk-QG3KXRZ3.js";import"./chunk-KJ2OVQRW.js";import"./chunk-TKVSSZI3.js";import"./chunk-FTJL2TAL.js";export{b as createKindCluster,c as deleteKindCluster,a as kindClusters,d as undoKindCluster};
//# sourceMappingURL=kind-2VWOYEYD.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d}from"./chunk-V76UKGJ3.js";import"./chunk-KJ2OVQRW.js";import"./chunk-FTJL2TAL.js";export{c as addPodRoutes,a as podRoutes,d as removePodRoute,b as routesToAdd};
//# sourceMappingURL=routes-RP4IOLQH.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-XG7QGOPM.js";import"./chunk-AYHNIOP2.js";import"./chunk-KJ2OVQRW.js";import"./chunk-FTJL2TAL.js";export{a as KIND_DOWNLOAD_BASE,b as KIND_RELEASES,f as cachedKind,g as installKind,d as kindArch,e as kindDirs,c as kindNodeKubernetesVersion};
//# sourceMappingURL=kind-install-2PNVY6RA.js.map

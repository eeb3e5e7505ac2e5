import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d,e,f}from"./chunk-EYHOGW6K.js";import"./chunk-JAA4WLVB.js";import"./chunk-H2DQU35I.js";import"./chunk-TZN7URKK.js";export{a as KIND_DOWNLOAD_BASE,b as KIND_RELEASES,f as installKind,d as kindArch,e as kindDirs,c as kindNodeKubernetesVersion};

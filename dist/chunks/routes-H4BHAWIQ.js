import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d}from"./chunk-IDCOCFSP.js";import"./chunk-H2DQU35I.js";import"./chunk-TZN7URKK.js";export{c as addPodRoutes,a as podRoutes,d as removePodRoute,b as routesToAdd};

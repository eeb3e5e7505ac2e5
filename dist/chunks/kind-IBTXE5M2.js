import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d}from"./chunk-QROU2W7N.js";import"./chunk-H2DQU35I.js";import"./chunk-K2WKPDZX.js";import"./chunk-TZN7URKK.js";export{b as createKindCluster,c as deleteKindCluster,a as kindClusters,d as undoKindCluster};

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{f as a,h as b,i as c,j as d,k as e,l as f,m as g,n as h,o as i,p as j,q as k}from"./chunk-LYB5CATR.js";import"./chunk-HUXQ6EZJ.js";import"./chunk-7ET6JV7U.js";import"./chunk-P3E5CCPX.js";import"./chunk-JIDHOXED.js";import"./chunk-FTJL2TAL.js";export{b as FIELD_MANAGER,c as ObjectApi,h as apiStatus,e as guessResource,i as isNotFound,d as kubeClients,j as kubeError,a as loadKubeConfig,f as mergePatch,k as serverKubernetesVersion,g as toKubeApiError};
//# sourceMappingURL=api-OI5EGHVQ.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{c as a,e as b,f as c,g as d,h as e,i as f,j as g,k as h,l as i,m as j}from"./chunk-HNJTNQFB.js";import"./chunk-HUXQ6EZJ.js";import"./chunk-7ET6JV7U.js";import"./chunk-J43FQEF6.js";import"./chunk-TKVSSZI3.js";import"./chunk-FTJL2TAL.js";export{b as FIELD_MANAGER,c as ObjectApi,g as apiStatus,h as isNotFound,d as kubeClients,i as kubeError,a as loadKubeConfig,e as mergePatch,j as serverKubernetesVersion,f as toKubeApiError};
//# sourceMappingURL=api-N47SPAE7.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{d as a,f as b,g as c,h as d,i as e,j as f,k as g,l as h,m as i,n as j}from"./chunk-6JPUXJ43.js";import"./chunk-HUXQ6EZJ.js";import"./chunk-7ET6JV7U.js";import"./chunk-J43FQEF6.js";import"./chunk-TKVSSZI3.js";import"./chunk-FTJL2TAL.js";export{b as FIELD_MANAGER,c as ObjectApi,g as apiStatus,h as isNotFound,d as kubeClients,i as kubeError,a as loadKubeConfig,e as mergePatch,j as serverKubernetesVersion,f as toKubeApiError};
//# sourceMappingURL=api-TKDJI2A3.js.map

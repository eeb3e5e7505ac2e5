import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{b as a,c as b,d as c,e as d,f as e,g as f,h as g,i as h,j as i}from"./chunk-CASIYY4C.js";import"./chunk-PXKXBILN.js";import"./chunk-JIDHOXED.js";import"./chunk-FTJL2TAL.js";export{b as describeExit,e as groupAlive,g as killStaleProcesses,f as processGroupOf,i as processRunning,a as startProcess,h as startTime,c as stopProcess,d as within};
//# sourceMappingURL=process-ZD6QHIK2.js.map

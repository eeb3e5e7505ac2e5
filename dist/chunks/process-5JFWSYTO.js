import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d,e,f,g,h,i}from"./chunk-RIVCVSSZ.js";import"./chunk-TKVSSZI3.js";import"./chunk-FTJL2TAL.js";export{b as describeExit,e as groupAlive,g as killStaleProcesses,f as processGroupOf,i as processRunning,a as startProcess,h as startTime,c as stopProcess,d as within};
//# sourceMappingURL=process-5JFWSYTO.js.map

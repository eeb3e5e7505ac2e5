import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d,e,f,g,h}from"./chunk-6IC4VPWX.js";import"./chunk-TKVSSZI3.js";import"./chunk-FTJL2TAL.js";export{b as describeExit,d as groupAlive,f as killStaleProcesses,e as processGroupOf,h as processRunning,a as startProcess,g as startTime,c as stopProcess};
//# sourceMappingURL=process-UFIH6NBG.js.map

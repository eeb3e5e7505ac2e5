import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d,e,f,g,h}from"./chunk-PIARKYJ5.js";import"./chunk-K2WKPDZX.js";import"./chunk-TZN7URKK.js";export{b as describeExit,d as groupAlive,f as killStaleProcesses,e as processGroupOf,h as processRunning,a as startProcess,g as startTime,c as stopProcess};

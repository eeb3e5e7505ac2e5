import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{d as e}from"./chunk-CTFFTOWB.js";import{j as t,k as r}from"./chunk-JAA4WLVB.js";var n="work-dir",i=()=>e({save:(o,a)=>t(o,a),get:o=>r(o)});export{n as a,i as b};

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{l as t,m as r}from"./chunk-AYHNIOP2.js";import{f as e}from"./chunk-FOLOZK6G.js";var n="work-dir",i=()=>e({save:(o,a)=>t(o,a),get:o=>r(o)});export{n as a,i as b};
//# sourceMappingURL=chunk-IQLNGXCS.js.map

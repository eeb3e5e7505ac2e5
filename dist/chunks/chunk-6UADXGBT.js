import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{d as e}from"./chunk-5BYH4JFM.js";import{l as t,m as r}from"./chunk-AYHNIOP2.js";var n="work-dir",i=()=>e({save:(o,a)=>t(o,a),get:o=>r(o)});export{n as a,i as b};
//# sourceMappingURL=chunk-6UADXGBT.js.map

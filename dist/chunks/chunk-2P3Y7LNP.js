import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{execFile as s}from"node:child_process";function f(o){return(t,c)=>new Promise(i=>{s(t,c,{timeout:o,maxBuffer:16*1024*1024},(e,r,n)=>{if(!e){i({code:0,stdout:r,stderr:n});return}let m=typeof e.code=="number"?e.code:127,u=e.killed?`${t} killed after ${o/1e3} s`:e.message;i({code:m,stdout:r,stderr:n?e.killed?`${n}
${u}`:n:u})})})}export{f as a};
//# sourceMappingURL=chunk-2P3Y7LNP.js.map

import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b,c,d,e,f,g,h}from"./chunk-L522L4BR.js";import"./chunk-FTJL2TAL.js";export{a as CHAIN_PREFIX,h as chainCut,d as dropBetween,e as dropPeers,f as installCut,c as iptablesProblem,b as newChainName,g as removeCut};
//# sourceMappingURL=packet-filter-Y5K6VLX2.js.map

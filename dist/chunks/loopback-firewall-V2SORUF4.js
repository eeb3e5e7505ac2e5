import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{c as a,d as b,e as c,f as d,g as e}from"./chunk-BCAXPCTK.js";import"./chunk-2P3Y7LNP.js";import"./chunk-JIDHOXED.js";import"./chunk-FTJL2TAL.js";export{c as createLoopbackFirewall,b as firewallUnavailable,a as newFirewallId,d as removeLoopbackFirewall,e as sweepStaleFirewalls};
//# sourceMappingURL=loopback-firewall-V2SORUF4.js.map

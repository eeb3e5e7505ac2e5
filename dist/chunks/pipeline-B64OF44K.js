import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a,b}from"./chunk-HHVDWFDJ.js";import"./chunk-YSK74UCR.js";import"./chunk-K6NDNSL2.js";import"./chunk-XLM3O5JS.js";import"./chunk-UMALUR7I.js";import"./chunk-NCBM2MYJ.js";import"./chunk-EVKBLG2L.js";import"./chunk-QG3KXRZ3.js";import"./chunk-6IC4VPWX.js";import"./chunk-HUXQ6EZJ.js";import"./chunk-7ET6JV7U.js";import"./chunk-J43FQEF6.js";import"./chunk-TKVSSZI3.js";import"./chunk-FTJL2TAL.js";export{b as exitCodeOf,a as runCheck};
//# sourceMappingURL=pipeline-B64OF44K.js.map

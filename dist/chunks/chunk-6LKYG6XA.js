import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
var e={record:async()=>"",settle:async()=>{}};export{e as a};
//# sourceMappingURL=chunk-6LKYG6XA.js.map

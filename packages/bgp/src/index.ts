// Public API of @gannet/bgp: a curated list of named re-exports (see ../../../shared/STYLE.md).
export { BgpConfigError, BgpError, BgpStateError } from './errors.js';

// Public API of @gannet/cni: a curated list of named re-exports (see ../../../shared/STYLE.md).
export {};

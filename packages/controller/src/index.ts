// Public API of @gannet/controller: a curated list of named re-exports (see ../../../shared/STYLE.md).
export {};

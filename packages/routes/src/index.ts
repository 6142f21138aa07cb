// Public API of @gannet/routes: a curated list of named re-exports (see ../../../shared/STYLE.md).
export {};

// Preloaded by `npm start` and the image (`--import`), before the first
// TypeScript file: turns on Node's module compile cache, which keeps each
// module's type-stripped source and V8 code on disk, keyed by content. Once
// warm, Node never loads its type-stripping compiler (a 17 MiB WebAssembly
// heap it keeps for the life of the process) and parses nothing twice. Plain
// JavaScript because importing a .ts file here would load that compiler.
// Directory: NODE_COMPILE_CACHE (default <tmpdir>/node-compile-cache);
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. A cache that cannot be written
// is ignored (Node's design: it is an optimisation, never an error).
import module from 'node:module';

module.enableCompileCache();

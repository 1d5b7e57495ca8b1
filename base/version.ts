// Tessera's version, read from package.json (bundled into dist/ by esbuild), so it is written once.
import pkg from '../package.json';

export const TESSERA_VERSION: string = pkg.version;

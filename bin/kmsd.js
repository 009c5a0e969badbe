#!/usr/bin/env node
// Entry point of the `kmsd` command; the code is compiled to dist/ by `npm run build`
// (run automatically by `npm ci` through the prepare script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`kmsd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

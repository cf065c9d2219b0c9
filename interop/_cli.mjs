// Shared by the Node peers: their command line, parsed the way every peer answers (interop/
// README.md): a bad option still gets the one JSON line on stdout, `{"ok":false,"error"}`.
import { parseArgs } from 'node:util';

// The values of `options` (node:util parseArgs), or the JSON error line and exit status 2.
export function optionsOrExit(options) {
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    console.log(JSON.stringify({ ok: false, error: err.message }));
    process.exit(2);
  }
}

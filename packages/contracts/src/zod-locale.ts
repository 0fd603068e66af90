/**
 * zod/mini loads no locale, so every issue would read "Invalid input". The messages reach API
 * clients (400 `issues`) and configuration errors, so zod's English messages are loaded once,
 * here: this package's index imports this module first, and every door imports the index before
 * anything parses. The package's only side effect (`sideEffects` in package.json).
 *
 * `en` is imported by name: `z.locales.en()` would bundle every locale zod ships (~260 KB).
 */

import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());

// dynalite ships no type declarations; this covers the part the embedded DynamoDB uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** How long a new table stays CREATING, ms. @default 500 */
    readonly createTableMs?: number;
    /** How long a deleted table stays DELETING, ms. @default 500 */
    readonly deleteTableMs?: number;
    /** How long an updated table stays UPDATING, ms. @default 500 */
    readonly updateTableMs?: number;
    /** @default 400 */
    readonly maxItemSizeKb?: number;
    /** A LevelDB folder; unset = in memory. */
    readonly path?: string;
    readonly verbose?: boolean;
    readonly debug?: boolean;
  }

  /** An HTTP server (not yet listening) speaking the DynamoDB JSON protocol. */
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}

// The public surface of @mangaassist/chat/testing.

export { describeSessionStore, sessionTurn } from './testing/session-store-behaviour.js';

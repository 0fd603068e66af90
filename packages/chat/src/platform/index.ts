// The public surface of @mangaassist/chat/platform.

export { type CreatePlatformOptions, createPlatform, type Platform } from './create-platform.js';

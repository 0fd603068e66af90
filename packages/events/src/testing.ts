// Test doubles of @mangaassist/events, for this package's tests and its dependents'.

export { recordingPublisher } from './testing/recording-publisher.js';

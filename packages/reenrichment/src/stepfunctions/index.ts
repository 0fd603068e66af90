// The public surface of @mangaassist/reenrichment/stepfunctions: the task callbacks on Step Functions.

export { SfnTaskCallbacks } from './sfn-task-callbacks.js';

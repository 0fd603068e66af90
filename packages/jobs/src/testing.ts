// Test support for @mangaassist/jobs: fakes of its ports and the JobStore behaviour suite.

export {
  describeJobStore,
  type JobStoreFactory,
  type JobStoreFactoryOptions,
  jobRecord,
  jobResult,
  newJobId,
} from './testing/job-store-contract.js';
export { MemoryDocumentStore } from './testing/memory-document-store.js';
export { RecordingJobExecutions, RecordingJobQueue } from './testing/recording-job-queue.js';

export { StepFunctionsJobExecutions } from './step-functions-job-executions.js';

// X-Ray's side of @mangaassist/fm-gateway: the model targets tried, as subsegments of the Lambda trace.

export { lambdaXrayAttemptTracer, xrayAttemptTracer } from './xray-attempt-tracer.js';

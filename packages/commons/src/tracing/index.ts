// X-Ray tracing without the X-Ray SDK: subsegments of the Lambda invocation for the work done in
// it, every AWS SDK call among them, annotated with what the work is for.

export { type TraceableAwsClient, traceAwsClient } from '../xray/traced-aws-client.js';
export {
  type AnnotationValue,
  daemonEndpoint,
  lambdaTraceSink,
  sampledParent,
  type TraceParent,
  type TraceSink,
  type XrayDaemonOptions,
  type XraySubsegment,
  xrayDaemonSink,
} from '../xray/xray-daemon.js';
export {
  activeTraceSink,
  addTraceAnnotations,
  type OpenSubsegment,
  startSubsegment,
  type TraceAnnotations,
  traceAnnotations,
  traced,
  unresolvedTraceSink,
  useTraceSink,
  withTraceAnnotations,
} from './tracing.js';

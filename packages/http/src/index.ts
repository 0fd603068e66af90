// The public surface of @mangaassist/http.

export {
  type ErrorIssue,
  errorResponse,
  type HttpEndpoint,
  type HttpRequest,
  type HttpResponse,
  jsonResponse,
} from './http.js';
export { type JsonBodyLimits, readJsonBody, toIssues } from './json-body.js';
export {
  type StreamingHttpEndpoint,
  type StreamingResponse,
  sendWholeResponse,
  sseEvent,
  sseHeaders,
  sseKeepAlive,
} from './streaming-http.js';

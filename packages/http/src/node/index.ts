// @mangaassist/http/node: the transport-neutral endpoints on Node.js `http` servers (the Fargate
// orchestrator), without Lambda or API Gateway in between.

export {
  type NodeStreamingResponseOptions,
  nodeStreamingResponse,
  readRequestBody,
  sendHttpResponse,
  toHttpRequest,
} from './node-http.js';

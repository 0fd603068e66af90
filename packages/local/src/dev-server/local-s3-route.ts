import type { FileDocumentStore } from '../s3/file-document-store.js';
import { keyFromLocalDocumentPath } from '../s3/file-document-store.js';
import type { Route } from './lambda-routes.js';
import { sendError } from './local-http.js';

/**
 * `PUT` and `GET /_local/s3/<key>?expires=…&signature=…`: the local bucket behind the presigned
 * URLs `POST /v1/uploads` (and a long result's `result_url`) hand out. Refuses as S3 does: 403 for
 * a bad or expired signature, 413 past the document limit (nothing kept), 404 for no document.
 */
export function localS3Route(documents: FileDocumentStore): Route {
  return async ({ request, response, path, requestId }) => {
    const method = request.method === 'PUT' ? 'PUT' : 'GET';
    const key = keyFromLocalDocumentPath(path);
    const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
    const verdict = key === undefined ? undefined : documents.verifyPresigned(method, key, query);
    if (key === undefined || !verdict?.ok) {
      request.resume();
      sendError(
        response,
        403,
        requestId,
        verdict && !verdict.ok ? verdict.code : 'SignatureDoesNotMatch',
        verdict && !verdict.ok ? verdict.message : 'The request signature does not match.',
      );
      return;
    }
    if (method === 'GET') {
      const body = await documents.get(key);
      if (!body) {
        sendError(response, 404, requestId, 'NoSuchKey', 'The specified key does not exist.');
        return;
      }
      response.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': body.byteLength,
      });
      response.end(body);
      return;
    }
    const outcome = await documents.receiveUpload(key, request);
    if (!outcome.ok) {
      response.setHeader('connection', 'close');
      sendError(response, outcome.status, requestId, outcome.code, outcome.message);
      return;
    }
    response.writeHead(200, { 'content-length': 0, 'x-request-id': requestId });
    response.end();
  };
}

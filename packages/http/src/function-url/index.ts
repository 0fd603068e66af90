// The public surface of @mangaassist/http/function-url.

export {
  type FunctionUrlHandler,
  type FunctionUrlHandlerOptions,
  functionUrlToHttpRequest,
  makeFunctionUrlHandler,
  toFunctionUrlResult,
} from './function-url-http.js';

// swagger-ui-dist ships no types; its bundle is Swagger UI itself, typed by @types/swagger-ui.
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  import SwaggerUI from 'swagger-ui';
  export default SwaggerUI;
}

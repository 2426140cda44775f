// Types for wgsl-preprocessor 1.0.1 (it ships none): a template-literal tag resolving #if/#elif/#else/#endif.
declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  export function wgsl(strings: TemplateStringsArray | readonly string[], ...values: unknown[]): string;
}

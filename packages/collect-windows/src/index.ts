/**
 * `@triage/collect-windows`: parsers for Windows artifacts in TypeScript, no
 * native code, each documented with the specification it follows, reading
 * with random access and bounded memory, and tolerant of damage: a bad
 * cell, chunk or record becomes an error entry and parsing goes on.
 *
 * @packageDocumentation
 */
export { type ByteSource, bufferSource, fileSource } from './source.js';

/**
 * Reading the served OpenAPI document as a contract: its operations, and whether a real answer keeps it.
 *
 * Answers are checked against the document the server serves at `/docs/json` (never against the routes' own
 * schema objects), with Ajv: draft-07 + OpenAPI's `nullable` for an OpenAPI 3.0 document, JSON Schema 2020-12
 * for 3.1. `$ref`s are resolved inside the document itself.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Server } from '../../support/server.js';

// ajv-formats is CommonJS with a default export.
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export type Doc = Record<string, any>;
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface Operation {
  /** `GET /api/datasets/{id}`: method in capitals, path as the document writes it. */
  key: string;
  method: string;
  path: string;
  op: Record<string, any>;
}

/** Fetches `/docs/json` from a running server. */
export async function fetchDocument(server: Server): Promise<Doc> {
  const res = await fetch(`${server.url}/docs/json`);
  if (res.status !== 200) throw new Error(`/docs/json answered ${res.status}`);
  return (await res.json()) as Doc;
}

/** Every operation of the document, in document order. */
export function operations(doc: Doc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths ?? {})) {
    for (const method of METHODS) {
      if (item[method]) out.push({ key: `${method.toUpperCase()} ${path}`, method, path, op: item[method] });
    }
  }
  return out;
}

/** Follows `#/…` references inside the document until a non-reference object. */
export function resolve(doc: Doc, node: any): any {
  let seen = 0;
  while (node && typeof node === 'object' && typeof node.$ref === 'string' && node.$ref.startsWith('#/')) {
    if (++seen > 32) throw new Error(`reference loop at ${node.$ref}`);
    node = node.$ref
      .slice(2)
      .split('/')
      .map((p: string) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o: any, k: string) => (o == null ? undefined : o[k]), doc);
  }
  return node;
}

/** A media type without parameters, lower case: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isJsonMedia(media: string): boolean {
  return media === 'application/json' || media.endsWith('+json');
}

/** The response object the document declares for a status: exact code, then `4XX`-style range, then `default`. */
export function declaredResponse(doc: Doc, op: Record<string, any>, status: number): any {
  const responses = op.responses ?? {};
  const r = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  return r === undefined ? undefined : resolve(doc, r);
}

/** The declared media type entry matching a sent media type (exact, then `type/*`, then `*\/*`). */
export function declaredMedia(content: Record<string, any> | undefined, media: string): [string, any] | undefined {
  if (!content) return undefined;
  const keys = Object.keys(content);
  const hit =
    keys.find((k) => mediaType(k) === media) ??
    keys.find((k) => mediaType(k) === `${media.split('/')[0]}/*`) ??
    keys.find((k) => mediaType(k) === '*/*');
  return hit === undefined ? undefined : [hit, content[hit]];
}

/** Whether a schema (after references) is the error shape `{detail, error_code, timestamp}`, all strings, all required. */
export function isErrorShape(doc: Doc, schema: any): boolean {
  const s = resolve(doc, schema);
  if (!s || typeof s !== 'object') return false;
  const props = s.properties ?? {};
  const required: string[] = s.required ?? [];
  return ['detail', 'error_code', 'timestamp'].every(
    (f) => required.includes(f) && resolve(doc, props[f])?.type === 'string',
  );
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** An Ajv instance that knows the document, with the dialect its OpenAPI version uses. */
export class ContractValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction | Error>();

  constructor(readonly doc: Doc) {
    const is31 = String(doc.openapi).startsWith('3.1');
    // strict: false, because a document holds OpenAPI keywords (`example`, `xml`, `discriminator`) beside JSON Schema's.
    const options = { strict: false, allErrors: true, validateSchema: false } as const;
    this.ajv = is31 ? (new Ajv2020(options) as unknown as Ajv) : new Ajv(options);
    addFormats(this.ajv);
    // OpenAPI's own formats: binary content, and number widths that JSON Schema does not check.
    for (const f of ['binary', 'byte', 'int32', 'int64', 'float', 'double', 'password']) this.ajv.addFormat(f, true);
    this.ajv.addSchema(structuredClone(doc), 'openapi.json');
  }

  /** Validates `value` against the schema at a JSON pointer of the document; returns the problems (empty: valid). */
  validateAt(pointer: string[], value: unknown): string[] {
    const ref = `openapi.json#/${pointer.map(escapePointer).join('/')}`;
    let v = this.compiled.get(ref);
    if (v === undefined) {
      try {
        v = this.ajv.compile({ $ref: ref });
      } catch (e) {
        v = e as Error;
      }
      this.compiled.set(ref, v);
    }
    if (v instanceof Error) return [`the declared schema does not compile: ${v.message}`];
    if (v(value)) return [];
    return (v.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
  }
}

/** Response headers the service sends whose presence a client relies on: each must be declared where it is sent. */
export const CONTRACT_HEADERS = ['x-total-count', 'x-total-rows', 'content-disposition', 'retry-after'];

export interface Answer {
  status: number;
  headers: Headers;
  /** Raw body bytes. */
  bytes: Buffer;
}

/**
 * What in one real answer the document does not declare: the status, the media type, the JSON body against the
 * schema for that status and media type, required and contract headers. Empty when the answer keeps the contract.
 */
export function checkAnswer(v: ContractValidator, operation: Operation, answer: Answer): string[] {
  const { doc } = v;
  const problems: string[] = [];
  const { status } = answer;
  const responses = operation.op.responses ?? {};
  const statusKey = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
  if (statusKey === undefined) return [`status ${status} is not declared (declared: ${Object.keys(responses).join(', ')})`];
  const declared = resolve(doc, responses[statusKey]);
  const base = ['paths', operation.path, operation.method, 'responses', statusKey];

  // Media type and body.
  const sent = mediaType(answer.headers.get('content-type'));
  if (answer.bytes.length > 0 || sent) {
    const content = declared.content as Record<string, any> | undefined;
    const hit = declaredMedia(content, sent);
    if (!hit) {
      problems.push(`Content-Type ${sent || '(none)'} is not declared for ${statusKey} (declared: ${Object.keys(content ?? {}).join(', ') || 'no content'})`);
    } else if (isJsonMedia(sent)) {
      const [key, media] = hit;
      if (!media?.schema) problems.push(`${statusKey} ${key} declares no schema`);
      else {
        let body: unknown;
        try {
          body = JSON.parse(answer.bytes.toString('utf8'));
        } catch {
          problems.push(`the body is not JSON`);
        }
        if (body !== undefined) {
          const bodyPointer = [...base, 'content', key, 'schema'];
          // A response object given by reference: validate at the referenced place.
          const at = responses[statusKey].$ref ? refPointer(responses[statusKey].$ref).concat(['content', key, 'schema']) : bodyPointer;
          problems.push(...v.validateAt(at, body).map((p) => `body: ${p}`));
        }
      }
    }
  }

  // Headers: required ones present; declared ones well-formed; the contract's headers declared where sent.
  const declaredHeaders = Object.fromEntries(
    Object.entries<any>(declared.headers ?? {}).map(([name, h]) => [name.toLowerCase(), resolve(doc, h)]),
  );
  for (const [name, h] of Object.entries<any>(declaredHeaders)) {
    const value = answer.headers.get(name);
    if (value === null) {
      if (h?.required) problems.push(`required header ${name} is missing`);
      continue;
    }
    const schema = resolve(doc, h?.schema);
    if (schema && (schema.type === 'integer' || schema.type === 'number')) {
      if (!/^-?\d+(\.\d+)?$/.test(value)) problems.push(`header ${name}: ${JSON.stringify(value)} is not a ${schema.type}`);
    }
  }
  for (const name of CONTRACT_HEADERS) {
    if (answer.headers.get(name) !== null && !(name in declaredHeaders)) {
      problems.push(`header ${name} is sent but not declared for ${statusKey}`);
    }
  }
  return problems;
}

function refPointer(ref: string): string[] {
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

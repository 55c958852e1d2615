/** Types of each operation's parameters and results, drawn from src/schema.d.ts (openapi-typescript). */

import type { components, operations } from './schema.js';

export type { components, operations, paths } from './schema.js';

export type OperationId = keyof operations;

// An answer without a JSON body (204 No Content) resolves to undefined.
type JSONOf<R> = R extends { content: { 'application/json': infer B } } ? B : void;
type SuccessCode = 200 | 201 | 202 | 204;
type Responses<K extends OperationId> = operations[K]['responses'];

/** The JSON body of an operation's success answer(s). */
export type ResponseBody<K extends OperationId> = JSONOf<Responses<K>[Extract<keyof Responses<K>, SuccessCode>]>;

/** What a method resolves to: the envelope's `data`, or the whole body for operations without one. */
export type ResponseData<K extends OperationId> = ResponseBody<K> extends { success: true; data: infer D } ? D : ResponseBody<K>;

/** Query parameters of an operation. */
export type QueryParams<K extends OperationId> = NonNullable<operations[K]['parameters']['query']>;

/** The JSON request body of an operation. */
export type RequestBody<K extends OperationId> = JSONOf<NonNullable<operations[K]['requestBody']>>;

/** The items of a list operation's page (the one array beside `pagination`). */
export type PageItem<K extends OperationId, Key extends string> = ResponseData<K> extends { [P in Key]: Array<infer I> } ? I : never;

export type Schemas = components['schemas'];

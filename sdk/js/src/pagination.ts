/** Pages of list operations (`page`/`limit` in, `pagination` out), iterable across pages. */

import type { APIResponse, RequestOptions } from './core.js';
import type { components } from './schema.js';

/** `{ page, limit, total, totalPages }` of a list answer. */
type Pagination = components['schemas']['Pagination'];

export interface PageRequest {
  query: Record<string, unknown>;
  options: RequestOptions | undefined;
}

type Loader<Body> = (request: PageRequest) => Promise<APIResponse<Body>>;

/** One page of a list: its items (`data`), `pagination`, the whole answer's `body`, and the way on. */
export class Page<Item, Body = unknown> implements AsyncIterable<Item> {
  /** The items of this page. */
  readonly data: Item[];
  readonly pagination: Pagination;
  /** The envelope's `data` as sent (e.g. `{ domains, pagination }`). */
  readonly body: Body;
  readonly response: Response;
  readonly #itemsKey: string;
  readonly #request: PageRequest;
  readonly #load: Loader<Body>;

  constructor(body: Body, response: Response, itemsKey: string, request: PageRequest, load: Loader<Body>) {
    const record = body as Record<string, unknown>;
    this.body = body;
    this.response = response;
    this.data = (record[itemsKey] as Item[] | undefined) ?? [];
    this.pagination = record.pagination as Pagination;
    this.#itemsKey = itemsKey;
    this.#request = request;
    this.#load = load;
  }

  hasNextPage(): boolean {
    return this.pagination.page < this.pagination.totalPages;
  }

  /** The next page (same filters and limit); throws when there is none (check `hasNextPage()`). */
  async getNextPage(): Promise<Page<Item, Body>> {
    if (!this.hasNextPage()) throw new Error('No next page: check hasNextPage() first.');
    const request: PageRequest = {
      query: { ...this.#request.query, page: this.pagination.page + 1 },
      options: this.#request.options,
    };
    const { data, response } = await this.#load(request);
    return new Page<Item, Body>(data, response, this.#itemsKey, request, this.#load);
  }

  /** This page and every later one. */
  async *iterPages(): AsyncGenerator<Page<Item, Body>, void, undefined> {
    let page: Page<Item, Body> = this;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }

  /** Every item from this page on, fetching later pages as needed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Item, void, undefined> {
    for await (const page of this.iterPages()) yield* page.data;
  }
}

/** What list methods return: await it for the first page, or `for await` it for every item. */
export class PagePromise<Item, Body = unknown> implements PromiseLike<Page<Item, Body>>, AsyncIterable<Item> {
  readonly #page: Promise<Page<Item, Body>>;

  constructor(page: Promise<Page<Item, Body>>) {
    this.#page = page;
  }

  then<R1 = Page<Item, Body>, R2 = never>(
    onfulfilled?: ((value: Page<Item, Body>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#page.then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Page<Item, Body> | R> {
    return this.#page.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<Page<Item, Body>> {
    return this.#page.finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item, void, undefined> {
    const page = await this.#page;
    yield* page;
  }
}

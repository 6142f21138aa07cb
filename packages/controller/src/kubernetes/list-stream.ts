// A list response parsed as it arrives, one item at a time: `{"kind":…,"metadata":{…},"items":[{…},{…},…]}` is
// scanned chunk by chunk, each element of the top-level "items" array is parsed on its own and handed to `onItem`
// (which trims it), and the rest of the object is parsed at the end. A list of 10,000 Pods (37 MB of JSON) never
// exists as one string nor as one tree of whole objects: the peak is one chunk and one Pod.
//
// The scanner only tracks what it must: nesting depth, whether it is inside a string (and after a backslash), and
// the last string seen at depth 1 (the key before a value). Everything else is JSON.parse's job, so malformed input
// fails there, with its message.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

export class ListItemsParser {
  /** Items parsed so far (what onItem returned). */
  readonly items: unknown[] = [];
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Inside the top-level "items" array (depth 2 is the array itself; its elements are objects, as in every list). */
  private inItems = false;
  /** The text of a key being read at depth 1, or of the last one read. */
  private key: string[] | undefined;
  private lastKey = '';
  /** Pieces of the item being read (it may span chunks), and of everything outside the items. */
  private item: string[] = [];
  private readonly rest: string[] = [];

  constructor(private readonly onItem: (raw: unknown) => unknown = (raw) => raw) {}

  write(chunk: string): void {
    // where the current run of "rest" text, and the current item's text, start in this chunk (-1: not in one)
    let restFrom = this.inItems ? -1 : 0;
    let itemFrom = this.inItems && this.depth > 2 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.key) {
            this.lastKey = this.key.join('');
            this.key = undefined;
          }
        } else if (this.key && this.key.length < 16) this.key.push(chunk[i]!);
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1) this.key = [];
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.depth === 1 && c === OPEN_ARRAY && this.lastKey === 'items') {
          // the items array: the rest keeps `"items":[`, the elements and their commas go elsewhere
          this.rest.push(chunk.slice(restFrom, i + 1));
          restFrom = -1;
          this.inItems = true;
        } else if (this.inItems && this.depth === 2) {
          itemFrom = i;
        }
        this.depth++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
        if (this.inItems && this.depth === 2) {
          this.item.push(chunk.slice(itemFrom, i + 1));
          itemFrom = -1;
          this.take();
        } else if (this.inItems && this.depth === 1) {
          this.inItems = false; // the `]` of items: the rest goes on from it
          restFrom = i;
        }
      }
    }
    if (itemFrom >= 0) this.item.push(chunk.slice(itemFrom));
    if (restFrom >= 0) this.rest.push(chunk.slice(restFrom));
  }

  /** The whole object with `items` as onItem returned them. Throws when the text is not one JSON object. */
  end(): Record<string, unknown> {
    if (this.depth !== 0 || this.inString) throw new SyntaxError('the list ends before its JSON does');
    const out = JSON.parse(this.rest.join('')) as Record<string, unknown>;
    if (typeof out !== 'object' || out === null || Array.isArray(out)) throw new SyntaxError('not a JSON object');
    out.items = this.items;
    return out;
  }

  private take(): void {
    const text = this.item.length === 1 ? this.item[0]! : this.item.join('');
    this.item = [];
    this.items.push(this.onItem(JSON.parse(text)));
  }
}

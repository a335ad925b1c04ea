/**
 * Replaces many literal strings at once, in one pass over each text, whatever their number: the work is bounded by
 * the length of the needles (once) plus the length of the text, never their product. Where two needles overlap, the
 * one that starts first wins, then the longest, as a regular expression of them all, longest first, would choose.
 *
 * An Aho–Corasick automaton over the reversed needles, run over the reversed text, gives for every position of the
 * text the longest needle that starts there; the text is then read left to right, taking each needle found.
 */
export function literalReplacer(replacements: ReadonlyMap<string, string>): (text: string) => string {
  const needles = [...replacements.keys()].filter((needle) => needle !== '');
  if (needles.length === 0) return (text) => text;
  const automaton = new ReversedAutomaton(needles);
  return (text) => {
    const longest = automaton.longestStartingAt(text);
    let out = '';
    let copied = 0;
    for (let at = 0; at < text.length; ) {
      const length = longest[at];
      if (length === 0) {
        at++;
        continue;
      }
      out += text.slice(copied, at) + replacements.get(text.slice(at, at + length))!;
      at += length;
      copied = at;
    }
    return copied === 0 ? text : out + text.slice(copied);
  };
}

/**
 * The automaton over the reversed needles, in typed arrays sized by the needles' total length (a state per code unit
 * at most). Most states have one child (ids share little but their prefix), kept in two arrays; only a state with
 * several gets a map of them.
 */
class ReversedAutomaton {
  private readonly onlyUnit: Int32Array;
  private readonly onlyChild: Int32Array;
  /** Per state: the index of its map of further children in `maps`, -1 for none. */
  private readonly more: Int32Array;
  private readonly maps: Map<number, number>[] = [];
  /** The root's children by code unit (0 for none): every failed step ends there, so it is a table, not a map. */
  private readonly root = new Int32Array(0x10000);
  /** Per state: where to go on a code unit it has no edge for (the longest proper suffix that is also a state). */
  private readonly fail: Int32Array;
  /** Per state: the length of the longest needle that ends its (reversed) string, 0 for none. */
  private readonly needle: Int32Array;
  private states = 1;

  constructor(needles: string[]) {
    const capacity = needles.reduce((sum, needle) => sum + needle.length, 1);
    this.onlyUnit = new Int32Array(capacity).fill(-1);
    this.onlyChild = new Int32Array(capacity);
    this.more = new Int32Array(capacity).fill(-1);
    this.fail = new Int32Array(capacity);
    this.needle = new Int32Array(capacity);
    for (const forward of needles) {
      let state = 0;
      for (let i = forward.length - 1; i >= 0; i--) {
        const unit = forward.charCodeAt(i);
        state = this.child(state, unit) ?? this.add(state, unit);
      }
      this.needle[state] = forward.length;
    }
    this.link();
  }

  private child(state: number, unit: number): number | undefined {
    if (state === 0) return this.root[unit] || undefined;
    if (this.onlyUnit[state] === unit) return this.onlyChild[state];
    return this.more[state] === -1 ? undefined : this.maps[this.more[state]].get(unit);
  }

  private add(state: number, unit: number): number {
    const child = this.states++;
    if (state === 0) this.root[unit] = child;
    else if (this.onlyUnit[state] === -1) {
      this.onlyUnit[state] = unit;
      this.onlyChild[state] = child;
    } else {
      if (this.more[state] === -1) this.more[state] = this.maps.push(new Map()) - 1;
      this.maps[this.more[state]].set(unit, child);
    }
    return child;
  }

  /** Failure links, breadth first: a state's link is shorter than it, so its needle length is known when it is reached. */
  private link(): void {
    const queue = new Int32Array(this.states);
    let tail = 1;
    const visit = (state: number, unit: number, child: number) => {
      this.fail[child] = state === 0 ? 0 : this.step(this.fail[state], unit);
      if (this.needle[child] === 0) this.needle[child] = this.needle[this.fail[child]];
      queue[tail++] = child;
    };
    for (let unit = 0; unit < this.root.length; unit++) if (this.root[unit] !== 0) visit(0, unit, this.root[unit]);
    for (let head = 1; head < tail; head++) {
      const state = queue[head];
      if (this.onlyUnit[state] !== -1) visit(state, this.onlyUnit[state], this.onlyChild[state]);
      if (this.more[state] !== -1) for (const [unit, child] of this.maps[this.more[state]]) visit(state, unit, child);
    }
  }

  private step(state: number, unit: number): number {
    for (let s = state; ; s = this.fail[s]) {
      const child = this.child(s, unit);
      if (child !== undefined) return child;
      if (s === 0) return 0;
    }
  }

  /** For each position of `text`, the length of the longest needle that starts there (0 for none). */
  longestStartingAt(text: string): Int32Array {
    const longest = new Int32Array(text.length);
    let state = 0;
    for (let at = text.length - 1; at >= 0; at--) {
      state = this.step(state, text.charCodeAt(at));
      longest[at] = this.needle[state];
    }
    return longest;
  }
}

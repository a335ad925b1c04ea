/** `1 recording`, `2 recordings`: a count with its noun in the right number. */
export const plural = (count: number, noun: string, nouns = `${noun}s`) => `${count} ${count === 1 ? noun : nouns}`;

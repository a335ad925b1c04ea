import OpenAI from 'openai';

const client: OpenAI = new OpenAI({ apiKey: 'sk-matrix-SECRET', baseURL: `${process.env.UPSTREAM}/v1`, maxRetries: 0 });

/** Type annotations: this file only loads through a TypeScript transform. */
export async function ask(content: string): Promise<string | null> {
  const reply = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
  return reply.choices[0].message.content;
}

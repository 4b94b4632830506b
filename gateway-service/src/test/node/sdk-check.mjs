// Exercises the gateway with the official openai SDK, as an application would, and prints what it
// saw as one JSON object; OpenAiSdkTest makes the assertions. Env: OPENAI_BASE_URL, OPENAI_API_KEY, DOC.
import fs from 'node:fs';
import OpenAI, { toFile } from 'openai';

const client = new OpenAI({ maxRetries: 0 });
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id);

const chat = await client.chat.completions.create({
  model: 'livetune-base',
  messages: [{ role: 'user', content: 'Hello there' }],
  max_tokens: 8,
  temperature: 0,
});
out.chat = { object: chat.object, content: chat.choices[0].message.content, finish: chat.choices[0].finish_reason,
  usage: chat.usage, fingerprint: chat.system_fingerprint };

const stream = await client.chat.completions.create({
  model: 'livetune-base',
  messages: [{ role: 'user', content: 'Hello there' }],
  max_tokens: 8,
  temperature: 0,
  stream: true,
  stream_options: { include_usage: true },
});
let text = '';
let usage = null;
let chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length > 0) {
    text += chunk.choices[0].delta.content ?? '';
  }
  if (chunk.usage) {
    usage = chunk.usage;
  }
}
out.stream = { text, usage, chunks };

const file = await client.files.create({ file: await toFile(fs.createReadStream(process.env.DOC), 'facts.md'),
  purpose: 'fine-tune' });
out.file = { id: file.id, object: file.object, bytes: file.bytes, filename: file.filename };

const job = await client.fineTuning.jobs.create({ training_file: file.id, model: 'default' });
const listed = await client.fineTuning.jobs.list({ limit: 10 });
const got = await client.fineTuning.jobs.retrieve(job.id);
const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 10 });
out.job = { id: job.id, object: job.object, status: job.status, trainingFile: job.training_file,
  listed: listed.data.map((j) => j.id), retrieved: got.id, events: events.data.map((e) => e.message) };

try {
  await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
  out.notFound = 'no error';
} catch (e) {
  out.notFound = { status: e.status, type: e.type, code: e.code };
}

// Bodies refused without being processed (read and dropped): the SDK must see the status and OpenAI's error, not a
// network error.
const errorOf = async (call) => {
  try {
    await call();
    return 'no error';
  } catch (e) {
    return { status: e.status ?? null, code: e.code ?? null, name: e.constructor.name, message: e.message };
  }
};
out.tooLarge = await errorOf(() => client.chat.completions.create({ model: 'default',
  messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] }, { maxRetries: 0, timeout: 20000 }));
const stranger = new OpenAI({ apiKey: 'lt-0000000000000000-' + 'A'.repeat(43), maxRetries: 0, timeout: 20000 });
const big = await toFile(Buffer.alloc(11 * 1024 * 1024, 'a'), 'big.txt');
out.strangerUpload = await errorOf(() => stranger.files.create({ file: big, purpose: 'fine-tune' }));

console.log(JSON.stringify(out));

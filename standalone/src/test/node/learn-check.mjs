// Drives a standalone livetune with the official openai SDK, as an application would, and prints
// what it saw as one JSON object; StandaloneIT makes the assertions.
// Env: OPENAI_BASE_URL, OPENAI_API_KEY, QUESTION, FACT, PROMPTS (JSON array, "defaults" only).
// Argument: "learn" (ask, teach, wait, ask in a new session), "ask" (ask in a new session, after a
// restart) or "defaults" (each of PROMPTS in a new session, with no sampling parameters at all: the
// call as the SDK's examples write it).
import OpenAI from 'openai';
import { randomUUID } from 'node:crypto';

const client = new OpenAI({ maxRetries: 0, timeout: 120_000 });
const phase = process.argv[2];
const out = { phase };

async function ask(session) {
  const r = await client.chat.completions.create(
    { model: 'default', messages: [{ role: 'user', content: process.env.QUESTION }], temperature: 0, max_tokens: 80 },
    session ? { headers: { 'X-Session-Id': session } } : undefined);
  return { content: r.choices[0].message.content, servedBy: r.system_fingerprint };
}

if (phase === 'learn') {
  out.before = await ask(null);
  const session = 'it-' + randomUUID();
  const learn = await client.chat.completions.create(
    { model: 'default', messages: [{ role: 'user', content: '[Learn] ' + process.env.FACT }] },
    { headers: { 'X-Session-Id': session } });
  out.learnReply = learn.choices[0].message.content;
  const jobId = learn.livetune_job_id;
  out.jobId = jobId;
  const deadline = Date.now() + 15 * 60_000;
  let job = await client.fineTuning.jobs.retrieve(jobId);
  while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    job = await client.fineTuning.jobs.retrieve(jobId);
  }
  out.job = { id: job.id, status: job.status, fineTunedModel: job.fine_tuned_model, error: job.error };
  const events = await client.fineTuning.jobs.listEvents(jobId, { limit: 100 });
  out.events = events.data.map((e) => e.message).reverse();
  out.after = await ask('it-' + randomUUID());
} else if (phase === 'ask') {
  out.afterRestart = await ask('it-' + randomUUID());
} else if (phase === 'defaults') {
  out.replies = [];
  for (const prompt of JSON.parse(process.env.PROMPTS)) {
    const r = await client.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: prompt }] });
    out.replies.push({ prompt, content: r.choices[0].message.content });
  }
} else {
  throw new Error('phase must be learn, ask or defaults');
}
out.models = (await client.models.list()).data.map((m) => m.id);
console.log(JSON.stringify(out));
